import type { IrcClient } from "../irc/irc-client.js";
import type { ServerLines } from "./server-lines.js";

/** Time between two `+typing=active` for one conversation (the spec: at most every 3 s). */
const TYPING_THROTTLE_MS = 3_000;

/** What this user says of its own typing (IRCv3 `+typing`), per conversation, throttled. */
export class TypingSender {
  /** Per conversation, when we last said we are typing. */
  readonly #sent = new Map<string, number>();

  constructor(
    private readonly client: IrcClient,
    private readonly lines: ServerLines,
  ) {}

  /** The message box of `key` (conversation `target`) changed: `+typing` (throttled), or `done` when it was emptied. */
  changed(key: string, target: string, hasText: boolean): void {
    if (!hasText) return this.ended(key, target);
    const now = Date.now();
    if (now - (this.#sent.get(key) ?? 0) < TYPING_THROTTLE_MS) return;
    if (this.#send(target, "active")) this.#sent.set(key, now);
  }

  /** The box was emptied without sending: `done`, if `active` was said. */
  ended(key: string, target: string): void {
    if (!this.#sent.delete(key)) return;
    this.#send(target, "done");
  }

  /** A message was sent: it ends "typing" for those who see it (no `+typing=done` needed). */
  sent(key: string): void {
    this.#sent.delete(key);
  }

  /**
   * One `+typing` TAGMSG, labelled so that its refusal (a moderated channel, a ban: 404
   * every 3 s while the user types) is not shown: the message itself, when sent, says why.
   */
  #send(target: string, value: "active" | "done"): boolean {
    const label = this.client.caps.has("labeled-response") ? this.client.nextLabel() : null;
    const tags: Array<[string, string]> = [["+typing", value]];
    if (label) tags.push(["label", label]);
    const sent = this.client.send("TAGMSG", [target], tags);
    if (sent && label) this.lines.quietly(label);
    return sent;
  }
}
