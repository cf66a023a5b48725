import { isBatch, type Batch } from "../irc/batches.js";
import { ChatHistory } from "../irc/history.js";
import { IrcClient, type ConnectionStatus } from "../irc/irc-client.js";
import { nickOf, type IrcMessage } from "../irc/irc-line.js";
import { isChannelName } from "../irc/casemap.js";
import { parseMultilineValue } from "../irc/split.js";
import { ensureConversation, latestTime, withConversation, withoutConversation } from "./conversations.js";
import { HistorySync } from "./history-sync.js";
import { messageFromLine, messageFromMultiline, type LineContext, type Located } from "./messages.js";
import { Outbox } from "./outbox.js";
import { loadSaved, saveSaved, type SavedConversations } from "./persist.js";
import { Store } from "./store.js";
import { addLiveMessage, addReaction, everyChannel, expireTyping, memberJoined, memberLeft, pushNotice, redactMessage, setMembers, setReadMarker, setTopic, setTyping } from "./reducers.js";
import type { Capabilities, ChatMessage, ChatState, Member } from "./types.js";

export interface ChatOptions {
  readonly account: string;
  /** The WebSocket URL of the server's /ws. */
  readonly url: string;
  getToken(): Promise<string>;
  /** SASL refused: refresh the session; false when it is over (signed out). */
  onAuthFailure(): Promise<boolean>;
}

/** A message that deserves the user's attention while they look elsewhere. */
export interface Attention {
  readonly conversation: string;
  readonly kind: "mention" | "direct";
  readonly message: ChatMessage;
}

/** How many conversations TARGETS lists when the page starts (the most recently active). */
const TARGETS_ON_START = 100;
/** Time between two `+typing=active` for one conversation (the spec: at most every 3 s). */
const TYPING_THROTTLE_MS = 3_000;

const NO_CAPS: Capabilities = { multiline: null, redaction: false, readMarker: false, history: false, typing: false, webPushKey: null };

/**
 * The chat of one signed-in account: IRC events turned into the state the UI renders,
 * and the user's actions turned into IRC. The connection (back-off, SASL) is the
 * IrcClient's; history requests the HistorySync's; own messages on their way the Outbox's.
 */
export class Chat {
  readonly store: Store<ChatState>;
  readonly client: IrcClient;
  readonly #history: ChatHistory;
  readonly #sync: HistorySync;
  readonly #outbox: Outbox;
  #saved: SavedConversations;
  /** NAMES replies being collected, per channel key, until 366. */
  readonly #names = new Map<string, Map<string, Member>>();
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
    this.#saved = loadSaved(options.account);
    this.client = new IrcClient({ url: options.url, nick: options.account, realname: "CmyMessage web", getToken: options.getToken, onAuthFailure: options.onAuthFailure });
    this.#history = new ChatHistory(this.client);
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
    this.client.on("status", (status) => this.#onStatus(status));
    this.client.on("ready", ({ nick, reconnect }) => void this.#onReady(nick, reconnect));
    this.client.on("message", (message) => this.#onLine(message, null));
    this.client.on("batch", (batch) => this.#onBatch(batch, null));
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
    if (conversation && !conversation.loaded && this.client.isReady) void this.#sync.loadLatest(conversation.key);
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
    if (!conversation.atLatest) void this.#sync.loadLatest(key);
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
    if (this.client.caps.has("draft/read-marker")) this.client.send("MARKREAD", [conversation.name, `timestamp=${newest}`]);
  }

  join(name: string): void {
    let channel = name.trim();
    if (channel === "") return;
    if (!isChannelName(channel, this.client.isupport.chantypes)) channel = `#${channel}`;
    const key = this.keyOf(channel);
    if (this.store.state.conversations.get(key)?.joined) return this.#requestOpen(key);
    this.#openOnJoin.add(key);
    if (!this.client.send("JOIN", [channel])) {
      // Joined when the connection is back, like the channels we were in.
      this.#remember({ channels: [...this.#saved.channels, channel] });
      this.store.update((state) => ensureConversation(state, key, channel, "channel"));
      this.#requestOpen(key);
    }
  }

  /** Leaves a channel (PART) or closes a direct conversation. */
  leave(key: string): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    if (conversation.kind === "channel" && conversation.joined && this.client.isReady) this.client.send("PART", [conversation.name]);
    this.#forget(conversation.name);
    this.#outbox.dropConversation(key);
    this.store.update((state) => withoutConversation(state, key));
  }

  /** Opens (creating if need be) the direct conversation with `nick`; returns its key. */
  startDirect(nick: string, open = true): string {
    const name = nick.trim();
    const key = this.keyOf(name);
    const isNew = !this.store.state.conversations.has(key);
    this.store.update((state) => ensureConversation(state, key, name, "direct"));
    this.#remember({ directs: [...this.#saved.directs, name] });
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
      this.#names.clear();
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
      if (!known) this.#remember({ directs: [...this.#saved.directs, target.name] });
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

  #remember(change: Partial<SavedConversations>): void {
    const unique = (names: readonly string[]): string[] => {
      const seen = new Set<string>();
      return names.filter((name) => {
        const key = this.keyOf(name);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    };
    this.#saved = { channels: unique(change.channels ?? this.#saved.channels), directs: unique(change.directs ?? this.#saved.directs) };
    saveSaved(this.options.account, this.#saved);
  }

  #forget(name: string): void {
    const key = this.keyOf(name);
    this.#remember({ channels: this.#saved.channels.filter((n) => this.keyOf(n) !== key), directs: this.#saved.directs.filter((n) => this.keyOf(n) !== key) });
  }

  // ── what the server says ───────────────────────────────────────────────────

  #onBatch(batch: Batch, outerLabel: string | null): void {
    const label = batch.tags?.get("label") ?? outerLabel;
    switch (batch.type) {
      case "chathistory":
      case "draft/chathistory-targets":
        return; // answers to ChatHistory's requests
      case "draft/multiline": {
        const located = messageFromMultiline(batch, this.context());
        if (located) this.#onMessage(located, label);
        return;
      }
      default:
        // labeled-response, netsplit, netjoin, …: their lines, as if alone.
        for (const item of batch.items) {
          if (isBatch(item)) this.#onBatch(item, label);
          else this.#onLine(item, label);
        }
    }
  }

  #onLine(line: IrcMessage, outerLabel: string | null): void {
    const label = line.tags?.get("label") ?? outerLabel;
    const p = line.params;
    const from = nickOf(line.source);
    switch (line.command) {
      case "PRIVMSG":
      case "NOTICE": {
        // Server notices (no nick!user@host) are about the connection, not a conversation.
        if (!line.source?.includes("!")) return;
        const located = messageFromLine(line, this.context());
        if (located) this.#onMessage(located, label);
        return;
      }
      case "TAGMSG":
        return this.#onTagmsg(line);
      case "JOIN":
        return this.#onJoin(line);
      case "PART":
        return this.#onPart(p[0] ?? "", from);
      case "KICK":
        return this.#onPart(p[0] ?? "", p[1] ?? "", `${from} removed you from ${p[0]}${p[2] ? `: ${p[2]}` : ""}`);
      case "QUIT":
        this.store.update((state) => everyChannel(state, this.keyOf(from), (members) => members.delete(this.keyOf(from))));
        return;
      case "NICK":
        return this.#onNick(from, p[0] ?? from);
      case "AWAY":
        return this.#setAway(from, p[0] !== undefined && p[0] !== "");
      case "TOPIC":
        this.store.update((state) => setTopic(state, this.keyOf(p[0] ?? ""), p[1] ?? null));
        return;
      case "332":
        this.store.update((state) => setTopic(state, this.keyOf(p[1] ?? ""), p[2] ?? null));
        return;
      case "331":
        this.store.update((state) => setTopic(state, this.keyOf(p[1] ?? ""), null));
        return;
      case "353":
        return this.#onNames(p[2] ?? "", p[3] ?? "");
      case "366":
        return this.#onEndOfNames(p[1] ?? "");
      case "352":
        // WHO: flags start with H (here) or G (gone, i.e. away).
        return this.#setAway(p[5] ?? "", (p[6] ?? "").startsWith("G"));
      case "730":
      case "731":
        for (const target of (p[1] ?? "").split(",")) this.#setPeerAway(nickOf(target), line.command === "731");
        return;
      case "MARKREAD":
        return this.#onMarkread(p[0] ?? "", p[1] ?? "*");
      case "REDACT":
        this.store.update((state) => redactMessage(state, this.#conversationKey(p[0] ?? "", line.source), p[1] ?? ""));
        return;
      case "ACK":
        return;
      case "FAIL":
        if (label !== null && this.#outbox.fail(label, p[p.length - 1] ?? "Refused")) return;
        if (p[0] === "CHATHISTORY" || p[0] === "MARKREAD") return;
        this.store.update((state) => pushNotice(state, p[p.length - 1] ?? `${p[0]} failed`));
        return;
      default:
        if (/^[45]\d\d$/.test(line.command)) this.#onErrorNumeric(line, label);
    }
  }

  #onErrorNumeric(line: IrcMessage, label: string | null): void {
    const p = line.params;
    const text = p[p.length - 1] ?? "Error";
    const subject = p.length > 2 ? p[1] : undefined;
    if (label !== null && this.#outbox.fail(label, text)) return;
    // Replies to our own background requests, or harmless: not worth the user's attention.
    if (["421", "422", "433", "442", "443", "462", "704", "705", "706"].includes(line.command)) return;
    this.store.update((state) => pushNotice(state, subject ? `${subject}: ${text}` : text));
  }

  #conversationKey(target: string, source: string | null): string {
    const ctx = this.context();
    let name = target;
    if (!ctx.isChannel(name)) name = ctx.isMe(nickOf(source)) ? target : nickOf(source);
    return this.keyOf(name);
  }

  #onMessage(located: Located<ChatMessage>, label: string | null): void {
    const key = this.keyOf(located.name);
    const message = located.item;
    if (!this.store.state.conversations.has(key)) {
      if (located.kind === "channel") return; // not one of ours
      this.store.update((state) => ensureConversation(state, key, located.name, "direct"));
      this.#remember({ directs: [...this.#saved.directs, located.name] });
      this.#watchDirects([located.name]);
    }
    if (message.self && this.#outbox.confirm(key, message, label)) return;
    this.store.update((state) => addLiveMessage(state, key, message));
    if (!message.self && message.mention) {
      const attention: Attention = { conversation: located.name, kind: located.kind === "direct" ? "direct" : "mention", message };
      for (const listener of this.#attentionListeners) listener(attention);
    }
  }

  #onTagmsg(line: IrcMessage): void {
    const target = line.params[0];
    if (!target || !line.tags) return;
    const from = nickOf(line.source);
    const key = this.#conversationKey(target, line.source);
    const typing = line.tags.get("+typing");
    if (typing !== undefined && !this.client.isMe(from)) this.store.update((state) => setTyping(state, key, from, typing, Date.now()));
    const reaction = line.tags.get("+draft/react");
    const replyTo = line.tags.get("+draft/reply");
    if (reaction && replyTo) this.store.update((state) => addReaction(state, key, replyTo, reaction, from));
  }

  #onJoin(line: IrcMessage): void {
    const channel = line.params[0] ?? "";
    const nick = nickOf(line.source);
    const key = this.keyOf(channel);
    // extended-join: JOIN <channel> <account|*> :<realname>
    const account = line.params[1] && line.params[1] !== "*" ? line.params[1] : null;
    if (!this.client.isMe(nick)) {
      this.store.update((state) => memberJoined(state, key, this.keyOf(nick), { nick, prefix: "", away: false, account }));
      return;
    }
    const known = this.store.state.conversations.get(key);
    this.store.update((state) => withConversation(ensureConversation(state, key, channel, "channel"), key, (c) => ({ ...c, name: channel, joined: true })));
    this.#remember({ channels: [...this.#saved.channels, channel] });
    if (this.#openOnJoin.delete(key)) this.#requestOpen(key);
    // First look: the latest page; after a reconnect: the gap since the last message held.
    this.#channelSyncs.push(known?.loaded ? this.#sync.gapFill(key) : this.#sync.loadLatest(key));
  }

  #onPart(channel: string, nick: string, kickedWhy?: string): void {
    const key = this.keyOf(channel);
    if (!this.client.isMe(nick)) {
      this.store.update((state) => memberLeft(state, key, this.keyOf(nick)));
      return;
    }
    if (kickedWhy) {
      this.store.update((state) => pushNotice(withConversation(state, key, (c) => ({ ...c, joined: false, members: new Map() })), kickedWhy));
      this.#forget(channel);
      return;
    }
    // Our PART (from here or another device of ours): the channel leaves the list.
    this.#forget(channel);
    this.store.update((state) => withoutConversation(state, key));
  }

  #onNick(from: string, to: string): void {
    const oldKey = this.keyOf(from);
    const newKey = this.keyOf(to);
    if (this.client.isMe(to)) this.store.update((state) => ({ ...state, nick: to }));
    this.store.update((state) => {
      let next = everyChannel(state, oldKey, (members, member) => {
        members.delete(oldKey);
        members.set(newKey, { ...member, nick: to });
      });
      // A direct conversation follows the person when their new nick has none of its own.
      const direct = next.conversations.get(oldKey);
      if (direct?.kind === "direct" && oldKey !== newKey && !next.conversations.has(newKey)) {
        const conversations = new Map(next.conversations);
        conversations.delete(oldKey);
        conversations.set(newKey, { ...direct, key: newKey, name: to });
        next = { ...next, conversations, activeKey: next.activeKey === oldKey ? newKey : next.activeKey };
      }
      return next;
    });
  }

  #setAway(nick: string, away: boolean): void {
    const folded = this.keyOf(nick);
    this.store.update((state) => everyChannel(state, folded, (members, member) => members.set(folded, { ...member, away })));
    this.#setPeerAway(nick, away);
  }

  #setPeerAway(nick: string, away: boolean): void {
    this.store.update((state) => withConversation(state, this.keyOf(nick), (c) => (c.kind !== "direct" || c.peerAway === away ? c : { ...c, peerAway: away })));
  }

  #onNames(channel: string, list: string): void {
    const key = this.keyOf(channel);
    let names = this.#names.get(key);
    if (!names) this.#names.set(key, (names = new Map()));
    const symbols = this.client.isupport.prefixes.map(([, symbol]) => symbol).join("");
    for (const entry of list.split(" ")) {
      if (entry === "") continue;
      let i = 0;
      while (i < entry.length && symbols.includes(entry[i]!)) i++;
      const nick = nickOf(entry.slice(i));
      names.set(this.keyOf(nick), { nick, prefix: entry.slice(0, i), away: false, account: null });
    }
  }

  #onEndOfNames(channel: string): void {
    const key = this.keyOf(channel);
    const names = this.#names.get(key) ?? new Map<string, Member>();
    this.#names.delete(key);
    const previous = this.store.state.conversations.get(key)?.members;
    // Away flags survive a new NAMES; WHO brings the truth for everyone.
    for (const [folded, member] of names) if (previous?.get(folded)?.away) names.set(folded, { ...member, away: true });
    this.store.update((state) => setMembers(state, key, names));
    if (this.store.state.conversations.has(key)) this.client.send("WHO", [channel]);
  }

  #onMarkread(target: string, value: string): void {
    // The target is the conversation itself: a channel, or the other side's nick.
    const key = this.keyOf(target);
    const time = value.startsWith("timestamp=") ? value.slice(10) : null;
    this.store.update((state) => setReadMarker(state, key, time));
  }
}
