import type { HistoryRef, HistoryStore } from "../core/chat/history.js";
import type { NameDirectory } from "../core/chat/history-access.js";
import type { HttpContext } from "./context.js";
import { ProblemError } from "./problems.js";
import type { HistoryQueryString, MessagePage } from "./schemas.js";
import { messageView } from "./views.js";

// Message ids are base64url: a 12-character random prefix and a counter, so never a bare
// date. A time is a date, or a date and a time with its zone; it is tried first.
const MSGID = /^[A-Za-z0-9_-]{1,64}$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
/**
 * Times this route does not take that a msgid's characters can spell: a bare number (a
 * year, a Unix time), ISO 8601's basic format, week and ordinal dates, a time cut short.
 * Read as a msgid nobody has, one would give an empty page that looks like the end of
 * the history. Whole-string shapes: a real msgid (12 random characters, then a counter)
 * matches one with a chance of about 10^-10.
 */
const OTHER_TIME_FORMS = /^(\d+|\d{4}-?(\d{2}|\d{3}|W\d{2}(-?\d)?|\d{2}-?\d{2})(T[\d.,Z-]*)?)$/;

const INVALID_REFERENCE = "Give before= as a msgid from an earlier page or a time such as 2024-05-01T12:00:00Z";

/** The time `text` names, or null when its date is not in the calendar (Date.parse takes 2024-02-30 as 1 March). */
function isoTime(text: string, match: RegExpExecArray): number | null {
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  const date = new Date(0);
  // Not Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  const time = Date.parse(text);
  return Number.isFinite(time) ? time : null;
}

/** `before=` as a history reference: a msgid, or an ISO 8601 date or time (with its zone). */
export function parseBefore(before: string | undefined): HistoryRef | null {
  if (before === undefined) return null;
  const iso = ISO_TIME.exec(before);
  if (iso) {
    const time = isoTime(before, iso);
    if (time !== null) return { kind: "time", time };
  } else if (MSGID.test(before) && !OTHER_TIME_FORMS.test(before)) {
    return { kind: "msgid", msgid: before };
  }
  throw new ProblemError("invalid-reference", INVALID_REFERENCE);
}

export function historyDisabled(): ProblemError {
  return new ProblemError("history-disabled", "This server does not keep message history (history.enabled is off)");
}

/** Which account names exist, and which were, as the history rule in core asks it. */
export function directory(context: HttpContext): NameDirectory {
  return { exists: async (name) => (await context.accounts.find(name)) !== undefined, retired: (name) => context.accounts.isRetired(name) };
}

/**
 * One page of a conversation, oldest first, ending just before `before`. One row
 * more than asked for is read, to say whether older messages remain.
 */
export async function historyPage(history: HistoryStore | null, target: string, query: HistoryQueryString): Promise<MessagePage> {
  if (!history) throw historyDisabled();
  const from = parseBefore(query.before);
  const rows = await history.query({ target, direction: "before", from, to: null, limit: query.limit + 1 });
  const more = rows.length > query.limit;
  return { messages: (more ? rows.slice(1) : rows).map(messageView), more };
}
