/**
 * Names in the chat domain: nick and channel validity and case folding.
 * CASEMAPPING is "ascii": only A-Z fold to a-z. It is what modern servers
 * advertise and what every client implements correctly.
 */
export function foldCase(name: string): string {
  // Fast path: most names are already lower case.
  // A run of ASCII capitals lowers as toLowerCase lowers it; other letters are left as they are.
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : name;
}

// First character: a letter or one of the RFC 2812 "special" characters; no digit or '-'.
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

export function isValidNick(nick: string, maxLength: number): boolean {
  return nick.length > 0 && nick.length <= maxLength && NICK.test(nick);
}

export function isValidChannelName(name: string, maxLength: number): boolean {
  if (name.length < 2 || name.length > maxLength || name[0] !== "#") return false;
  // Space, comma and BELL split or confuse targets; ':' would break parameter parsing in clients.
  return !/[\s,\x07\x00:]/.test(name);
}

/** A username (ident) as sent in USER: letters, digits and a few safe marks only. */
export function sanitizeUsername(raw: string, maxLength: number): string {
  // The leading "~" says no ident lookup vouched for it; the whole stays within USERLEN.
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, "");
  return `~${cleaned || "user"}`.slice(0, Math.max(2, maxLength));
}
