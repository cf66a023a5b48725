/**
 * Names compared the server's way. The server announces CASEMAPPING=ascii (only A-Z fold);
 * rfc1459 also folds []\~ to {}|^, which we honour should a server say so.
 */
export type CaseMapping = "ascii" | "rfc1459" | "strict-rfc1459";

export function foldName(name: string, mapping: CaseMapping = "ascii"): string {
  let out = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (mapping === "rfc1459") out = out.replace(/[[\]\\~]/g, (c) => ({ "[": "{", "]": "}", "\\": "|", "~": "^" })[c] ?? c);
  else if (mapping === "strict-rfc1459") out = out.replace(/[[\]\\]/g, (c) => ({ "[": "{", "]": "}", "\\": "|" })[c] ?? c);
  return out;
}

export function isChannelName(name: string, chantypes = "#"): boolean {
  return name.length > 0 && chantypes.includes(name[0]!);
}

/**
 * The server's rule for nicks (src/core/chat/names.ts, which needs Node): a letter or one of
 * RFC 2812's "special" characters, then those, digits and '-'. Account names are nicks too.
 */
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

export function isValidNick(nick: string, maxLength: number): boolean {
  return nick.length > 0 && nick.length <= maxLength && NICK.test(nick);
}
