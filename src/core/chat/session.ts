import type { ChatEvent } from "./events.js";

/**
 * Anything that can receive chat events: an IRC connection, a WebSocket, a test double.
 * Neither method may throw or re-enter the chat core synchronously: a session that
 * must react (drop on a full send queue, close) defers the reaction.
 */
export interface Session {
  deliver(event: ChatEvent): void;
  /** The core asks the session to end (KILL, shutdown). The session quits through its normal path. */
  close(reason: string): void;
}
