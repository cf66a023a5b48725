import { serverTime } from "./event-lines.js";

/** `timestamp=YYYY-MM-DDThh:mm:ss.sssZ`, the server-time format the specs ask for (MARKREAD, CHATHISTORY). */
const TIMESTAMP = /^timestamp=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

/**
 * The time a `timestamp=` parameter names, or null when it is not in exactly that format
 * or names no moment of the calendar. Not Date.parse alone: it reads "2030" and "1" as
 * years, a time without its zone in the server's own zone, and 2024-02-30 as 1 March —
 * a reference the client did not mean, answered with messages as if it had.
 */
export function parseTimestampParam(param: string): number | null {
  const match = TIMESTAMP.exec(param);
  if (!match) return null;
  const time = Date.parse(match[1]!);
  // Written back the same only if no field was out of range (a 30 February, a 24:00).
  return Number.isFinite(time) && serverTime(time) === match[1] ? time : null;
}
