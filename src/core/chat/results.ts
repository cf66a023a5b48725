/** Why the chat core refused something. Each adapter maps these to its own wire form in one table. */
export type ChatFailureReason =
  | "erroneous-nick"
  | "nick-in-use"
  | "no-such-nick"
  | "no-such-channel"
  | "bad-channel-name"
  | "too-many-channels"
  | "invite-only"
  | "banned"
  | "bad-key"
  | "channel-full"
  | "not-on-channel"
  | "user-not-on-channel"
  | "user-on-channel"
  | "chanop-needed"
  | "cannot-send"
  | "list-full"
  | "message-too-long"
  | "unavailable";

export interface Failure<R extends ChatFailureReason = ChatFailureReason> {
  readonly ok: false;
  readonly reason: R;
}

export function fail<R extends ChatFailureReason>(reason: R): Failure<R> {
  return { ok: false, reason };
}
