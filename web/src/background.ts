import { detached } from "../../src/detached.js";

/**
 * Starts work the page does not wait for (a load, a send, a sign-out); a failure that the
 * work did not handle itself is reported in the console instead of going unhandled.
 */
export function background(work: Promise<unknown> | undefined): void {
  detached(work, (error) => console.error("cmymessage:", error));
}
