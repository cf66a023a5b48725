import type { FlagMode, ListMode, MemberMode } from "../core/chat/channel.js";
import type { ModeRequest } from "../core/chat/channel-modes.js";
import { ACCOUNT_EXTBAN_PREFIX } from "../core/chat/mask.js";

/** The IRC letters for the chat core's channel modes. */
export const CHANNEL_MODE_LETTERS = {
  flag: { "no-external": "n", "topic-lock": "t", moderated: "m", "invite-only": "i", secret: "s" } satisfies Record<FlagMode, string>,
  member: { op: "o", voice: "v" } satisfies Record<MemberMode, string>,
  list: { ban: "b", exception: "e", "invite-exception": "I" } satisfies Record<ListMode, string>,
} as const;

const flagByLetter = new Map<string, FlagMode>(Object.entries(CHANNEL_MODE_LETTERS.flag).map(([mode, letter]) => [letter, mode as FlagMode]));
const memberByLetter = new Map<string, MemberMode>(Object.entries(CHANNEL_MODE_LETTERS.member).map(([mode, letter]) => [letter, mode as MemberMode]));
const listByLetter = new Map<string, ListMode>(Object.entries(CHANNEL_MODE_LETTERS.list).map(([mode, letter]) => [letter, mode as ListMode]));

/** ISUPPORT CHANMODES: list modes, always-param, param-when-set, flags. */
export const CHANMODES = "beI,k,l,imnst";
export const PREFIX = "(ov)@+";
/** User modes: B bot (IRCv3 bot-mode), i invisible, o operator, w receives WALLOPS. */
export const USER_MODES = "Biow";
/** ISUPPORT EXTBAN (no prefix; `a` = account) and ACCOUNTEXTBAN: list entries `a:<account>`. */
export const EXTBAN = ",a";
export const ACCOUNTEXTBAN = "a";
/** ISUPPORT STATUSMSG: `@#chan` reaches operators, `+#chan` voiced users and operators. */
export const STATUSMSG = "@+";

/** A key: 1-32 printable characters without space, comma or colon (they would split parameters). */
const KEY = /^[^\s,:\0]{1,32}$/;
/** A list mask: no whitespace or NUL (it is echoed as a middle parameter), bounded in length. */
const MASK = /^[^\s\0:][^\s\0]{0,127}$/;

export type ParsedModes = {
  requests: ModeRequest[];
  /** List modes given without a parameter: the client asks to see the list. */
  listQueries: ListMode[];
  /** Letters that are no mode, each once. */
  unknown: string[];
  /** Mode letters that needed a parameter that was not there (or an invalid one), each once. */
  missingParam: string[];
  /** For a letter of missingParam whose parameter was given but refused: that parameter (the first refused). */
  rejectedParams: Map<string, string>;
};

/**
 * Parses `+o-v nick nick` style mode strings into core requests. At most
 * `maxWithParam` parameter-taking changes are honoured, like MODES= says. Unknown
 * letters and letters missing a parameter are listed once each.
 */
export function parseChannelModes(modeText: string, params: readonly string[], maxWithParam: number): ParsedModes {
  const result: ParsedModes = { requests: [], listQueries: [], unknown: [], missingParam: [], rejectedParams: new Map() };
  let on = true;
  let next = 0;
  let withParam = 0;
  const take = (): string | undefined => params[next++];
  // Each failing letter is reported once: `+vvvv…` must not buy one error line per letter.
  const missing = (letter: string, param?: string): void => {
    if (result.missingParam.includes(letter)) return;
    result.missingParam.push(letter);
    if (param !== undefined) result.rejectedParams.set(letter, param);
  };
  for (const letter of modeText) {
    if (letter === "+" || letter === "-") {
      on = letter === "+";
      continue;
    }
    const flag = flagByLetter.get(letter);
    if (flag) {
      result.requests.push({ kind: "flag", mode: flag, on });
      continue;
    }
    const list = listByLetter.get(letter);
    if (list) {
      const mask = take();
      if (mask === undefined) {
        if (!result.listQueries.includes(list)) result.listQueries.push(list);
      } else if (!MASK.test(mask) || mask === ACCOUNT_EXTBAN_PREFIX) missing(letter, mask);
      else if (withParam++ < maxWithParam) result.requests.push({ kind: "list", mode: list, on, mask });
      continue;
    }
    const member = memberByLetter.get(letter);
    if (member) {
      const nick = take();
      if (nick === undefined) missing(letter);
      else if (withParam++ < maxWithParam) result.requests.push({ kind: "member", mode: member, on, nick });
      continue;
    }
    if (letter === "k") {
      const key = on ? take() : (take(), "");
      if (on && (key === undefined || !KEY.test(key))) missing(letter, key);
      else if (withParam++ < maxWithParam) result.requests.push({ kind: "key", on, key: key ?? "" });
      continue;
    }
    if (letter === "l") {
      if (!on) {
        result.requests.push({ kind: "limit", on: false, limit: 0 });
        continue;
      }
      const given = take();
      const text = given ?? "";
      const limit = /^\d{1,9}$/.test(text) ? Number(text) : 0;
      if (limit <= 0) missing(letter, given);
      else if (withParam++ < maxWithParam) result.requests.push({ kind: "limit", on: true, limit });
      continue;
    }
    if (!result.unknown.includes(letter)) result.unknown.push(letter);
  }
  return result;
}
