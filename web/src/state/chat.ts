import { ChatHistory } from "../irc/history.js";
import { IrcClient, type ConnectionStatus } from "../irc/irc-client.js";
import { isChannelName } from "../irc/casemap.js";
import { parseMultilineValue } from "../irc/split.js";
import { ensureConversation, latestTime, withConversation, withoutConversation } from "./conversations.js";
import { HistorySync } from "./history-sync.js";
import type { LineContext } from "./messages.js";
import { Outbox } from "./outbox.js";
import { SavedConversationList } from "./persist.js";
import { Store } from "./store.js";
import { addReaction, expireTyping, pushNotice, setReadMarker } from "./reducers.js";
import { ReadMarkerSync } from "./read-sync.js";
import { ServerLines } from "./server-lines.js";
import type { Attention, Capabilities, ChatState } from "./types.js";
import { background } from "../background.js";

export interface ChatOptions {
  readonly account: string;
  /** The WebSocket URL of the server's /ws. */
  readonly url: string;
  getToken(): Promise<string>;
  /** SASL refused: refresh the session; false when it is over (signed out). */
  onAuthFailure(): Promise<boolean>;
}

export type { Attention };

/** How many conversations TARGETS lists when the page starts (the most recently active). */
const TARGETS_ON_START = 100;
/** Time between two `+typing=active` for one conversation (the spec: at most every 3 s). */
const TYPING_THROTTLE_MS = 3_000;

const NO_CAPS: Capabilities = { multiline: null, redaction: false, readMarker: false, history: false, typing: false, webPushKey: null };

/**
 * The chat of one signed-in account: the user's actions turned into IRC, and each
 * (re)connection brought up to date (channels joined again, conversations with news
 * gap-filled, queued messages sent). The connection itself (back-off, SASL) is the
 * IrcClient's; what the server says, ServerLines'; history, HistorySync's; own messages
 * on their way, the Outbox's.
 */
export class Chat {
  readonly store: Store<ChatState>;
  readonly client: IrcClient;
  readonly #history: ChatHistory;
  readonly #sync: HistorySync;
  readonly #outbox: Outbox;
  readonly #saved: SavedConversationList;
  readonly #lines: ServerLines;
  readonly #readMarkers: ReadMarkerSync;
  /** Channels to open as soon as our JOIN comes back. */
  readonly #openOnJoin = new Set<string>();
  /** Per conversation, when we last said we are typing. */
  readonly #typingSent = new Map<string, number>();
  /** The newest message time seen before the connection was lost: gap-fill starts here. */
  #lastSeen: string | null = null;
  #typingTimer: ReturnType<typeof setInterval> | null = null;
  /** The history syncs the JOINs of this connection started (awaited before the outbox is flushed). */
  #channelSyncs: Array<Promise<void>> = [];
  readonly #attentionListeners = new Set<(attention: Attention) => void>();
  readonly #openListeners = new Set<(name: string) => void>();

  constructor(private readonly options: ChatOptions) {
    this.client = new IrcClient({ url: options.url, nick: options.account, realname: "CmyMessage web", getToken: options.getToken, onAuthFailure: options.onAuthFailure });
    this.#history = new ChatHistory(this.client);
    this.#saved = new SavedConversationList(options.account, (name) => this.keyOf(name));
    this.store = new Store<ChatState>({
      connection: this.client.status,
      account: options.account,
      nick: options.account,
      conversations: new Map(),
      activeKey: null,
      caps: NO_CAPS,
      since: new Date().toISOString(),
      notices: [],
    });
    const parts = { store: this.store, client: this.client, history: this.#history, context: () => this.context() };
    this.#sync = new HistorySync(parts);
    this.#outbox = new Outbox(parts);
    this.#readMarkers = new ReadMarkerSync(this.store, this.client);
    this.client.on("status", (status) => this.#onStatus(status));
    this.client.on("ready", ({ nick, reconnect }) => background(this.#onReady(nick, reconnect)));
    this.#lines = new ServerLines(parts, {
      outbox: this.#outbox,
      directAppeared: (name) => {
        this.#saved.addDirect(name);
        this.#watchDirects([name]);
      },
      joined: (key, name, alreadyLoaded) => {
        this.#saved.addChannel(name);
        if (this.#openOnJoin.delete(key)) this.#requestOpen(key);
        // First look: the latest page; after a reconnect: the gap since the last message held.
        this.#channelSyncs.push(alreadyLoaded ? this.#sync.gapFill(key) : this.#sync.loadLatest(key));
      },
      forget: (name) => this.#saved.remove(name),
      attention: (attention) => {
        for (const listener of this.#attentionListeners) listener(attention);
      },
    });
    for (const name of this.#saved.directs) this.store.update((state) => ensureConversation(state, this.client.fold(name), name, "direct"));
  }

  start(): void {
    this.client.start();
    this.#typingTimer = setInterval(() => this.store.update((state) => expireTyping(state, Date.now())), 1000);
  }

  stop(reason?: string): void {
    if (this.#typingTimer) clearInterval(this.#typingTimer);
    this.client.stop(reason);
  }

  /**
   * The account signed out of this device: the connection ends and the device forgets the
   * account's conversations (names of secret channels, who was written to) for good.
   */
  signedOut(): void {
    this.#saved.forgetAll();
    this.stop("Signed out");
  }

  /** Mentions and direct messages as they arrive (for notifications). */
  onAttention(listener: (attention: Attention) => void): () => void {
    this.#attentionListeners.add(listener);
    return () => this.#attentionListeners.delete(listener);
  }

  /**
   * The chat wants a conversation shown (one the user just joined or started); the UI,
   * which owns navigation, decides. Without a listener it opens it itself.
   */
  onOpenRequest(listener: (name: string) => void): () => void {
    this.#openListeners.add(listener);
    return () => this.#openListeners.delete(listener);
  }

  #requestOpen(key: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    if (this.#openListeners.size === 0) return this.open(key);
    for (const listener of this.#openListeners) listener(conversation.name);
  }

  context(): LineContext {
    const client = this.client;
    const chantypes = client.isupport.chantypes;
    return {
      nick: client.nick,
      fold: (name) => client.fold(name),
      isMe: (nick) => client.isMe(nick),
      isChannel: (name) => isChannelName(name, chantypes),
      statusPrefixes: client.isupport.get("STATUSMSG") ?? "",
    };
  }

  keyOf(name: string): string {
    return this.client.fold(name);
  }

  // ── the user's actions ─────────────────────────────────────────────────────

  open(key: string | null): void {
    this.store.update((state) => {
      if (state.activeKey === key) return state;
      let next: ChatState = { ...state, activeKey: key };
      // Leaving a conversation forgets where its new-messages line was.
      if (state.activeKey) next = withConversation(next, state.activeKey, (c) => ({ ...c, unreadLineAfter: null, focus: null }));
      if (key)
        next = withConversation(next, key, (c) => {
          const newest = latestTime(c);
          const marker = c.readMarker ?? state.since;
          return { ...c, unreadLineAfter: newest !== null && newest > marker ? marker : null };
        });
      return next;
    });
    const conversation = key ? this.store.state.conversations.get(key) : undefined;
    if (conversation && !conversation.loaded && this.client.isReady) background(this.#sync.loadLatest(conversation.key));
  }

  /** Sends what the user typed; `/me`, `/join`, `/part`, `/topic`, `/msg` work as in IRC clients. */
  send(key: string, text: string, replyTo: string | null = null): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    const command = /^\/(\w+)(?:\s+([\s\S]*))?$/.exec(text.trim());
    if (command && !text.startsWith("//")) {
      const [, name = "", rest = ""] = command;
      switch (name.toLowerCase()) {
        case "me":
          this.#typingSent.delete(key);
          return this.#outbox.submit(key, rest, { replyTo, action: true });
        case "join":
          return this.join(rest.split(/\s+/)[0] ?? "");
        case "part":
        case "leave":
          return this.leave(key);
        case "topic":
          if (conversation.kind === "channel") this.client.send("TOPIC", [conversation.name, rest]);
          return;
        case "msg":
        case "query": {
          const [, nick, message] = /^(\S+)\s*([\s\S]*)$/.exec(rest) ?? [];
          if (!nick) return;
          const target = this.startDirect(nick);
          if (message) this.send(target, message);
          return;
        }
        default:
          this.store.update((state) => pushNotice(state, `Unknown command /${name}`));
          return;
      }
    }
    // The message itself ends "typing" for those who see it (no +typing=done needed).
    this.#typingSent.delete(key);
    if (!conversation.atLatest) background(this.#sync.loadLatest(key));
    this.#outbox.submit(key, text.startsWith("//") ? text.slice(1) : text, { replyTo });
  }

  retry(key: string, id: string): void {
    this.#outbox.retry(key, id);
  }

  discard(key: string, id: string): void {
    this.#outbox.discard(key, id);
  }

  loadOlder(key: string): Promise<void> {
    return this.#sync.loadOlder(key);
  }

  loadNewer(key: string): Promise<void> {
    return this.#sync.loadNewer(key);
  }

  jumpToLatest(key: string): Promise<void> {
    return this.#sync.loadLatest(key);
  }

  /** Opens a conversation at one message (a search result). */
  async jumpTo(conversation: { kind: "channel"; name: string } | { kind: "direct"; with: string }, msgid: string): Promise<void> {
    const name = conversation.kind === "channel" ? conversation.name : conversation.with;
    const key = this.keyOf(name);
    if (!this.store.state.conversations.has(key)) {
      if (conversation.kind === "direct") this.startDirect(name, false);
      else this.store.update((state) => ensureConversation(state, key, name, "channel"));
    }
    this.open(key);
    await this.#sync.jumpTo(key, msgid);
  }

  focusDone(key: string): void {
    this.store.update((state) => withConversation(state, key, (c) => (c.focus === null ? c : { ...c, focus: null })));
  }

  /** Marks everything in the conversation read, here and (read markers) on the account's other devices. */
  markRead(key: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    const newest = latestTime(conversation);
    if (newest === null || (conversation.readMarker !== null && conversation.readMarker >= newest)) return;
    this.store.update((state) => setReadMarker(state, key, newest));
    // Offline, the server hears of it after the reconnect (ReadMarkerSync.resendUnconfirmed).
    this.#readMarkers.send(conversation.name, newest);
  }

  join(name: string): void {
    let channel = name.trim();
    if (channel === "") return;
    if (!isChannelName(channel, this.client.isupport.chantypes)) channel = `#${channel}`;
    const key = this.keyOf(channel);
    if (this.store.state.conversations.get(key)?.joined) return this.#requestOpen(key);
    this.#openOnJoin.add(key);
    // Only a registered connection can join: a JOIN written while it is still signing in is
    // refused by the server (451) and would be lost.
    if (!this.client.isReady || !this.client.send("JOIN", [channel])) {
      // Joined when the connection is ready, like the channels we were in.
      this.#saved.addChannel(channel);
      this.store.update((state) => ensureConversation(state, key, channel, "channel"));
      this.#requestOpen(key);
    }
  }

  /** Leaves a channel (PART) or closes a direct conversation. */
  leave(key: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    if (conversation.kind === "channel" && conversation.joined && this.client.isReady) this.client.send("PART", [conversation.name]);
    this.#saved.remove(conversation.name);
    this.#outbox.dropConversation(key);
    this.store.update((state) => withoutConversation(state, key));
  }

  /** Opens (creating if need be) the direct conversation with `nick`; returns its key. */
  startDirect(nick: string, open = true): string {
    const name = nick.trim();
    const key = this.keyOf(name);
    const isNew = !this.store.state.conversations.has(key);
    this.store.update((state) => ensureConversation(state, key, name, "direct"));
    this.#saved.addDirect(name);
    if (isNew && this.client.isReady) this.#watchDirects([name]);
    if (open) this.#requestOpen(key);
    return key;
  }

  react(key: string, msgid: string, emoji: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    const sent = this.client.send("TAGMSG", [conversation.name], [
      ["+draft/react", emoji],
      ["+draft/reply", msgid],
    ]);
    // Without echo-message our own reaction never comes back: show it now.
    if (sent && !this.client.caps.has("echo-message")) this.store.update((state) => addReaction(state, key, msgid, emoji, this.client.nick));
  }

  /** Deletes one of our messages for everyone (draft/message-redaction). */
  redact(key: string, msgid: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation || !this.client.caps.has("draft/message-redaction")) return;
    this.client.send("REDACT", [conversation.name, msgid]);
  }

  /** The message box changed: `+typing` (throttled), or `done` when it was emptied. */
  typing(key: string, hasText: boolean): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation || !this.store.state.caps.typing) return;
    if (!hasText) return this.#endTyping(key);
    const now = Date.now();
    if (now - (this.#typingSent.get(key) ?? 0) < TYPING_THROTTLE_MS) return;
    if (this.client.send("TAGMSG", [conversation.name], [["+typing", "active"]])) this.#typingSent.set(key, now);
  }

  #endTyping(key: string): void {
    if (!this.#typingSent.has(key)) return;
    this.#typingSent.delete(key);
    const conversation = this.store.state.conversations.get(key);
    if (conversation) this.client.send("TAGMSG", [conversation.name], [["+typing", "done"]]);
  }

  /** WEBPUSH REGISTER with a browser push subscription (draft/webpush). */
  registerPush(subscription: { endpoint: string; p256dh: string; auth: string }): boolean {
    if (!this.client.caps.has("draft/webpush")) return false;
    // The keys are a message-tags-encoded list; base64url needs no escaping.
    return this.client.send("WEBPUSH", ["REGISTER", subscription.endpoint, `p256dh=${subscription.p256dh};auth=${subscription.auth}`]);
  }

  dismissNotice(id: number): void {
    this.store.update((state) => ({ ...state, notices: state.notices.filter((notice) => notice.id !== id) }));
  }

  // ── connection ─────────────────────────────────────────────────────────────

  #onStatus(status: ConnectionStatus): void {
    if (status.state === "connecting") this.#channelSyncs = [];
    if (status.state !== "ready" && this.store.state.connection.state === "ready") {
      this.#lastSeen = this.#newestSeen();
      this.#outbox.connectionLost();
      this.#lines.reset();
    }
    this.store.update((state) => ({ ...state, connection: status }));
  }

  #newestSeen(): string | null {
    let newest: string | null = null;
    for (const conversation of this.store.state.conversations.values()) {
      const time = latestTime(conversation);
      if (time !== null && (newest === null || time > newest)) newest = time;
    }
    return newest;
  }

  #capabilities(): Capabilities {
    const caps = this.client.caps;
    const multiline = caps.has("draft/multiline") && caps.has("batch") ? parseMultilineValue(this.client.offeredCaps.get("draft/multiline") ?? "") : null;
    return {
      multiline,
      redaction: caps.has("draft/message-redaction"),
      readMarker: caps.has("draft/read-marker"),
      history: this.#history.available,
      typing: caps.has("message-tags"),
      webPushKey: caps.has("draft/webpush") ? (this.client.isupport.get("VAPID") ?? null) : null,
    };
  }

  async #onReady(nick: string, reconnect: boolean): Promise<void> {
    this.store.update((state) => ({ ...state, nick, caps: this.#capabilities() }));
    // Channels of ours the server may have forgotten (a restart, or our last connection quit).
    const channels = new Set<string>(this.#saved.channels);
    for (const conversation of this.store.state.conversations.values()) if (conversation.kind === "channel" && conversation.joined) channels.add(conversation.name);
    this.store.update((state) => {
      let next = state;
      for (const conversation of state.conversations.values()) if (conversation.kind === "channel") next = withConversation(next, conversation.key, (c) => ({ ...c, joined: false }));
      return next;
    });
    if (channels.size > 0) this.client.send("JOIN", [[...channels].join(",")]);
    // Channels fill themselves at their JOIN (see #onJoin); direct conversations here.
    const since = reconnect ? (this.#lastSeen ?? this.store.state.since) : new Date(0).toISOString();
    const targets = await this.#sync.targets(since);
    const ctx = this.context();
    const fills: Array<Promise<void>> = [];
    for (const target of targets.slice(0, TARGETS_ON_START)) {
      if (ctx.isChannel(target.name)) continue;
      const key = this.keyOf(target.name);
      const known = this.store.state.conversations.get(key);
      this.store.update((state) => ensureConversation(state, key, target.name, "direct"));
      if (!known) this.#saved.addDirect(target.name);
      fills.push(known?.loaded ? this.#sync.gapFill(key) : this.#sync.loadLatest(key));
    }
    const directs = [...this.store.state.conversations.values()].filter((c) => c.kind === "direct");
    this.#watchDirects(directs.map((c) => c.name));
    for (const conversation of directs) {
      if (!conversation.loaded && conversation.key === this.store.state.activeKey) fills.push(this.#sync.loadLatest(conversation.key));
      else if (reconnect && conversation.key === this.store.state.activeKey) fills.push(this.#sync.gapFill(conversation.key));
    }
    // The server answers in order: the JOINs came back before TARGETS did, so their syncs are all in the list now.
    await Promise.allSettled([...fills, ...this.#channelSyncs]);
    if (!this.client.isReady) return;
    this.#readMarkers.resendUnconfirmed();
    this.#outbox.settleUnconfirmed();
    this.#outbox.flushQueued();
  }

  /** Read markers and presence of the other sides of direct conversations. */
  #watchDirects(nicks: readonly string[]): void {
    if (this.client.caps.has("draft/read-marker")) for (const nick of nicks) this.client.send("MARKREAD", [nick]);
    if (!this.client.isupport.has("MONITOR")) return;
    // MONITOR takes a comma-separated list: ten nicks of up to 30 bytes fit a 512-byte line.
    for (let i = 0; i < nicks.length; i += 10) this.client.send("MONITOR", ["+", nicks.slice(i, i + 10).join(",")]);
  }
}
