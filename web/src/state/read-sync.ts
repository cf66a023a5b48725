import type { IrcClient } from "../irc/irc-client.js";
import type { Store } from "./store.js";
import type { ChatState } from "./types.js";

/**
 * Keeping the account's read markers (IRCv3 draft/read-marker) on the server in step
 * with what this tab has read. A conversation read while the connection is down is read
 * only here until the server hears of it, so after each reconnect every conversation
 * whose local read point is newer than the server's last word is sent again. The
 * server's word is what its MARKREAD lines said (answers, JOIN, other devices); it
 * never moves a marker backwards, so sending one it already has is harmless.
 */
export class ReadMarkerSync {
  /** Per conversation key, the newest marker the server has told us about. */
  readonly #server = new Map<string, string>();

  constructor(
    private readonly store: Store<ChatState>,
    private readonly client: IrcClient,
  ) {
    client.on("message", (message) => {
      if (message.command !== "MARKREAD") return;
      const [target = "", value = "*"] = message.params;
      if (value.startsWith("timestamp=")) this.#heard(client.fold(target), value.slice(10));
    });
  }

  #heard(key: string, time: string): void {
    const known = this.#server.get(key);
    if (known === undefined || time > known) this.#server.set(key, time);
  }

  /** Tells the server this conversation is read up to `time`, when the connection allows. */
  send(name: string, time: string): void {
    if (this.client.isReady && this.client.caps.has("draft/read-marker")) this.client.send("MARKREAD", [name, `timestamp=${time}`]);
  }

  /** After a reconnect (and its gap-fill): every read point the server has not confirmed. */
  resendUnconfirmed(): void {
    for (const conversation of this.store.state.conversations.values()) {
      const local = conversation.readMarker;
      const server = this.#server.get(conversation.key);
      if (local !== null && (server === undefined || local > server)) this.send(conversation.name, local);
    }
  }
}
