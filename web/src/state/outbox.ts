import type { OutgoingTags } from "../irc/irc-line.js";
import { multilineBatches, separateMessages, splitByBytes, textRoom, utf8Length } from "../irc/split.js";
import { localId } from "./messages.js";
import { addLiveMessage, replaceMessage } from "./reducers.js";
import type { ChatParts } from "./parts.js";
import type { ChatMessage } from "./types.js";

/** How long we wait for the server to confirm a message (its echo) before saying it failed. */
const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * Own messages on their way out. A message typed while disconnected is kept
 * ("queued") and sent after the reconnect; a sent one waits for its echo (matched by
 * label, else by text) and becomes the server's message with its msgid; one the server
 * refused, or never confirmed across a connection loss, is shown as failed with a
 * retry — never silently dropped, never sent twice behind the user's back.
 */
export class Outbox {
  /** label → the pending message it was sent with. */
  readonly #byLabel = new Map<string, { key: string; id: string }>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly parts: ChatParts) {}

  /**
   * Adds what the user typed to conversation `key` as own messages and sends them now
   * or after the reconnect. One message per thing the server will store: one multiline
   * batch, or, without draft/multiline, one message per line.
   */
  submit(key: string, text: string, options: { replyTo?: string | null; action?: boolean } = {}): void {
    const { store, client } = this.parts;
    const conversation = store.state.conversations.get(key);
    if (!conversation || text.trim() === "") return;
    const room = textRoom("PRIVMSG", conversation.name) - (options.action ? 9 : 0);
    const multiline = store.state.caps.multiline;
    const trimmed = text.replace(/^\n+|\n+$/g, "");
    let texts: string[];
    if (options.action) texts = splitByBytes(trimmed.replace(/\n+/g, " "), room);
    else if (multiline && (trimmed.includes("\n") || utf8Length(trimmed) > room)) {
      texts = multilineBatches(trimmed, room, multiline).map((lines) => lines.reduce((out, line, i) => (i === 0 ? line.text : out + (line.concat ? "" : "\n") + line.text), ""));
    } else texts = separateMessages(trimmed, room);
    const ctx = this.parts.context();
    for (const [i, part] of texts.entries()) {
      const message: ChatMessage = {
        id: localId(),
        msgid: null,
        time: new Date().toISOString(),
        nick: ctx.nick,
        account: store.state.account,
        kind: options.action ? "action" : "privmsg",
        text: part,
        self: true,
        mention: false,
        replyTo: i === 0 ? (options.replyTo ?? null) : null,
        reactions: [],
        redacted: false,
        delivery: client.isReady ? "sending" : "queued",
      };
      store.update((state) => addLiveMessage(state, key, message));
      if (client.isReady) this.#transmit(key, message);
    }
  }

  retry(key: string, id: string): void {
    const message = this.parts.store.state.conversations.get(key)?.messages.find((m) => m.id === id);
    if (!message || message.delivery !== "failed") return;
    // Sent again as a new message at the end, as chat clients do.
    this.discard(key, id);
    this.submit(key, message.text, { replyTo: message.replyTo, action: message.kind === "action" });
  }

  discard(key: string, id: string): void {
    this.parts.store.update((state) => replaceMessage(state, key, id, (message) => (message.delivery === "sent" ? message : null)));
  }

  /** Sends every queued message, in order (after a reconnect, once channels are joined again). */
  flushQueued(): void {
    for (const conversation of this.parts.store.state.conversations.values()) {
      for (const message of conversation.messages) if (message.delivery === "queued") this.#transmit(conversation.key, message);
    }
  }

  /**
   * After a reconnect and gap-fill: a message sent but never confirmed either reached
   * the server (then history brought it back, from us, with the same text) or it did not.
   */
  settleUnconfirmed(): void {
    const { store } = this.parts;
    for (const conversation of store.state.conversations.values()) {
      for (const pending of conversation.messages) {
        if (pending.delivery !== "sending") continue;
        if (this.#isLabelled(pending.id)) continue; // sent on this connection: its echo may still come
        // Our clock and the server's may differ a little: a minute of slack.
        const sentAfter = Date.parse(pending.time) - 60_000;
        const arrived = conversation.messages.some((m) => m.delivery === "sent" && m.self && m.msgid !== null && m.text === pending.text && Date.parse(m.time) >= sentAfter);
        store.update((state) =>
          replaceMessage(state, conversation.key, pending.id, (message) => (arrived ? null : { ...message, delivery: "failed", error: "Not confirmed by the server before the connection was lost" })),
        );
      }
    }
  }

  /**
   * An own message came from the server (its echo). Returns true when it confirmed a
   * pending one, which it then replaces.
   */
  confirm(key: string, message: ChatMessage, label: string | null): boolean {
    const { store } = this.parts;
    let pendingId: string | null = null;
    if (label !== null) {
      const entry = this.#byLabel.get(label);
      if (entry && entry.key === key) pendingId = entry.id;
    }
    if (pendingId === null) {
      const conversation = store.state.conversations.get(key);
      pendingId = conversation?.messages.find((m) => m.delivery === "sending" && m.text === message.text)?.id ?? null;
    }
    if (pendingId === null) return false;
    this.#forget(pendingId);
    const id = pendingId;
    store.update((state) => addLiveMessage(replaceMessage(state, key, id, () => null), key, message));
    return true;
  }

  /** A labelled reply that is not the echo: the server refused the message. */
  fail(label: string, reason: string): boolean {
    const entry = this.#byLabel.get(label);
    if (!entry) return false;
    this.#markFailed(entry.key, entry.id, reason);
    return true;
  }

  #isLabelled(id: string): boolean {
    for (const entry of this.#byLabel.values()) if (entry.id === id) return true;
    return false;
  }

  #forget(id: string): void {
    for (const [label, entry] of this.#byLabel) if (entry.id === id) this.#byLabel.delete(label);
    const timer = this.#timers.get(id);
    if (timer) clearTimeout(timer);
    this.#timers.delete(id);
  }

  #markFailed(key: string, id: string, reason: string): void {
    this.#forget(id);
    this.parts.store.update((state) => replaceMessage(state, key, id, (message) => (message.delivery === "sent" ? message : { ...message, delivery: "failed", error: reason })));
  }

  /** Labels die with their connection: what was sent on it waits for settleUnconfirmed. */
  connectionLost(): void {
    this.#byLabel.clear();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #transmit(key: string, message: ChatMessage): void {
    const { client, store } = this.parts;
    const conversation = store.state.conversations.get(key);
    if (!conversation) return;
    const target = conversation.name;
    const label = client.caps.has("labeled-response") ? client.nextLabel() : null;
    const tags: Array<[string, string]> = [];
    if (label) tags.push(["label", label]);
    if (message.replyTo) tags.push(["+draft/reply", message.replyTo]);
    const room = textRoom("PRIVMSG", target);
    const multiline = store.state.caps.multiline;
    let sent: boolean;
    if (message.kind === "action") sent = client.send("PRIVMSG", [target, `\x01ACTION ${message.text}\x01`], tags);
    else if (message.text.includes("\n") || utf8Length(message.text) > room) {
      if (multiline) sent = this.#sendBatch(target, message.text, room, tags);
      else {
        // The server lost draft/multiline since this was typed: plain lines, confirmed one by one as they come back.
        sent = separateMessages(message.text, room).every((line) => client.send("PRIVMSG", [target, line]));
        if (sent) {
          store.update((state) => replaceMessage(state, key, message.id, () => null));
          return;
        }
      }
    } else sent = client.send("PRIVMSG", [target, message.text], tags);
    if (!sent) {
      store.update((state) => replaceMessage(state, key, message.id, (m) => ({ ...m, delivery: "queued" })));
      return;
    }
    if (!client.caps.has("echo-message")) {
      // No echo will come: what the server did not refuse at once counts as sent.
      store.update((state) => replaceMessage(state, key, message.id, (m) => ({ ...m, delivery: "sent" })));
      return;
    }
    if (label) this.#byLabel.set(label, { key, id: message.id });
    store.update((state) => replaceMessage(state, key, message.id, (m) => (m.delivery === "sending" ? m : { ...m, delivery: "sending" })));
    this.#timers.set(
      message.id,
      setTimeout(() => {
        if (this.parts.client.isReady) this.#markFailed(key, message.id, "The server did not confirm the message");
      }, CONFIRM_TIMEOUT_MS),
    );
  }

  /** One draft/multiline batch: the label and client tags on the opening BATCH line. */
  #sendBatch(target: string, text: string, room: number, tags: OutgoingTags): boolean {
    const { client, store } = this.parts;
    const limits = store.state.caps.multiline!;
    // submit() made it fit one batch under the limits it knew; should they have shrunk, the rest goes as more batches.
    const batches = multilineBatches(text, room, limits);
    for (const [i, lines] of batches.entries()) {
      const ref = `ml${Date.now().toString(36)}${i}`;
      if (!client.send("BATCH", [`+${ref}`, "draft/multiline", target], i === 0 ? tags : null)) return false;
      for (const line of lines) {
        const lineTags: Array<[string, string]> = [["batch", ref]];
        if (line.concat) lineTags.push(["draft/multiline-concat", ""]);
        client.send("PRIVMSG", [target, line.text], lineTags, { unpaced: true });
      }
      client.send("BATCH", [`-${ref}`]);
    }
    return true;
  }

  /** The conversation was closed: nothing of it is waited for any more. */
  dropConversation(key: string): void {
    for (const entry of [...this.#byLabel.values()]) if (entry.key === key) this.#forget(entry.id);
  }
}
