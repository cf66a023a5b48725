import type { SearchPosition } from "../core/chat/search.js";
import { ProblemError } from "./problems.js";

/**
 * The `next` cursor of a search page: the position of its last result, opaque to
 * clients (base64url of "<time>.<id>"), so the order's tie-breaker can change
 * without breaking them. Anything that does not decode to two safe integers is refused.
 */
export function encodeCursor(position: SearchPosition): string {
  return Buffer.from(`${position.time}.${position.id}`, "utf8").toString("base64url");
}

const CURSOR = /^[A-Za-z0-9_-]{1,64}$/;
const POSITION = /^(\d{1,16})\.(\d{1,16})$/;

export function decodeCursor(cursor: string | undefined): SearchPosition | null {
  if (cursor === undefined) return null;
  const match = CURSOR.test(cursor) ? POSITION.exec(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  const time = Number(match?.[1]);
  const id = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(time) || !Number.isSafeInteger(id)) {
    throw new ProblemError("invalid-cursor", "Give before= as the `next` value of an earlier page of the same search");
  }
  return { time, id };
}
