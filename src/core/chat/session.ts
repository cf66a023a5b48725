import type { ChatEvent } from "./events.js";

/**
 * One connection of a user: an IRC connection, a WebSocket, a test double. A user
 * has one or more (multiclient), or none while always-on keeps it present.
 * Neither method may throw or re-enter the chat core synchronously: a session that
 * must react (drop on a full send queue, close) defers the reaction.
 */
export interface Session {
  /** Unique on this node; names the session in publications (`fromSession`). */
  readonly id: string;
  /** `fromSession`: the session whose command caused the event, or null. */
  deliver(event: ChatEvent, fromSession: string | null): void;
  /** The core asks the session to end (KILL, shutdown). The session detaches through its normal path. */
  close(reason: string): void;
}
