import { ChatHistory } from "../irc/history.js";
import { IrcClient } from "../irc/irc-client.js";
import { isChannelName, isValidNick } from "../irc/casemap.js";
import { ensureConversation, latestTime, unreadAfter, withConversation, withoutConversation } from "./conversations.js";
import { ConnectSync } from "./connect-sync.js";
import { HistorySync } from "./history-sync.js";
import type { LineContext } from "./messages.js";
import { Outbox } from "./outbox.js";
import { SavedConversationList } from "./persist.js";
import { Store } from "./store.js";
import { addReaction, expireTyping, pushNotice, setReadMarker } from "./reducers.js";
import { ReadMarkerSync } from "./read-sync.js";
import { ServerLines } from "./server-lines.js";
import type { Attention, Capabilities, ChatState, Conversation } from "./types.js";
import { background } from "../background.js";
import { browserPushSubscription } from "../notifications.js";
import { registerPush, unregisterPush } from "./push-registration.js";
import { TypingSender } from "./typing-sender.js";

export interface ChatOptions {
  readonly account: string;
  /** The WebSocket URL of the server's /ws. */
  readonly url: string;
  getToken(): Promise<string>;
  /** SASL refused: refresh the session; false when it is over (signed out). */
  onAuthFailure(): Promise<boolean>;
}

export type { Attention };

const NO_CAPS: Capabilities = { multiline: null, redaction: false, readMarker: false, history: false, typing: false, webPushKey: null };

/**
 * The chat of one signed-in account: the user's actions turned into IRC, and each
 * (re)connection brought up to date (channels joined again, conversations with news
 * gap-filled, queued messages sent: ConnectSync). The connection itself (back-off, SASL)
 * is the IrcClient's; what the server says, ServerLines'; history, HistorySync's; own
 * messages on their way, the Outbox's.
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
  readonly #connectSync: ConnectSync;
  /** Channels to open as soon as our JOIN comes back. */
  readonly #openOnJoin = new Set<string>();
  readonly #typing: TypingSender;
  #typingTimer: ReturnType<typeof setInterval> | null = null;
  readonly #attentionListeners = new Set<(attention: Attention) => void>();
  readonly #openListeners = new Set<(name: string) => void>();
  /**
   * Keys of +k channels (folded name → key): given with /join or the Join dialog, or seen set
   * by MODE while we are in; used to join them again after a reconnect. Memory only, for this
   * page's session: never stored (the saved channel list is in localStorage).
   */
  readonly #channelKeys = new Map<string, string>();

  constructor(private readonly options: ChatOptions) {
    this.client = new IrcClient({ url: options.url, nick: options.account, realname: "CmyMessage web", getToken: options.getToken, onAuthFailure: options.onAuthFailure });
    this.#history = new ChatHistory(this.client);
    // History for the conversation on screen goes before background sync.
    this.#history.isUrgent = (target) => this.keyOf(target) === this.store.state.activeKey;
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
    this.#sync = new HistorySync(parts, (nick) => this.#saved.savedNameOf(nick));
    this.#outbox = new Outbox(parts);
    this.#readMarkers = new ReadMarkerSync(this.store, this.client);
    this.#lines = new ServerLines(parts, {
      outbox: this.#outbox,
      directAppeared: (name) => {
        const key = this.keyOf(name);
        this.#saved.addDirect(name);
        this.#connectSync.watchDirects([name]);
        this.#connectSync.askReadMarker(key);
        // What came before (while the page was closed) is unread too when never read: the
        // count needs it, and without it a first message would count as "1+".
        background(this.#sync.loadLatest(key));
      },
      directRenamed: (from, to, account) => {
        this.#saved.renameDirect(from, to, account);
        this.#connectSync.watchDirects([to]);
      },
      joined: (key, name, alreadyLoaded) => {
        this.#saved.addChannel(name);
        if (this.#openOnJoin.delete(key)) this.#requestOpen(key);
        this.#connectSync.joined(key, alreadyLoaded);
      },
      namesComplete: (key) => {
        if (key === this.store.state.activeKey) this.#connectSync.askWho(key);
      },
      forget: (name) => {
        this.#saved.remove(name);
        this.#channelKeys.delete(this.keyOf(name));
      },
      // A channel's key as the server says it changed (MODE +k/-k), or refused (475: a wrong key is not tried again).
      channelKey: (name, key) => (key ? this.#channelKeys.set(this.keyOf(name), key) : this.#channelKeys.delete(this.keyOf(name))),
      savedNameOf: (nick) => this.#saved.savedNameOf(nick),
      attention: (attention) => {
        for (const listener of this.#attentionListeners) listener(attention);
      },
    });
    this.#typing = new TypingSender(this.client, this.#lines);
    this.#connectSync = new ConnectSync(parts, {
      sync: this.#sync,
      outbox: this.#outbox,
      saved: this.#saved,
      readMarkers: this.#readMarkers,
      lines: this.#lines,
      channelKey: (key) => this.#channelKeys.get(key),
    });
    // A name an older version let in that is not a nick (`bob hello`) is not brought back.
    for (const name of this.#saved.directs) if (isValidNick(name, Infinity)) this.store.update((state) => ensureConversation(state, this.client.fold(name), name, "direct"));
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
   * The account signs out of this device: while the connection is still up, the server is told
   * to forget this browser's push subscription (WEBPUSH UNREGISTER, its answer awaited a few
   * seconds at most), and the browser's subscription is ended too, so no direct message or
   * mention of the account reaches this device any more; then the connection ends and the
   * device forgets the account's conversations (names of secret channels, who was written to)
   * for good. Call it before the session's tokens are dropped.
   */
  async signedOut(): Promise<void> {
    this.#saved.forgetAll();
    this.#channelKeys.clear();
    const subscription = await browserPushSubscription();
    if (subscription) {
      await this.unregisterPush(subscription.endpoint);
      // Even when the server did not answer: a push to an ended subscription is refused (410),
      // and the server then deletes it.
      await subscription.unsubscribe().catch(() => false);
    }
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

  /**
   * The name this device keeps a direct conversation shown as `nick` under, when another
   * (the account of someone who changed nick); null when none.
   */
  savedNameOf(nick: string): string | null {
    return this.#saved.savedNameOf(nick);
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
          const marker = unreadAfter(c, state.since);
          return { ...c, unreadLineAfter: newest !== null && newest > marker ? marker : null };
        });
      return next;
    });
    const conversation = key ? this.store.state.conversations.get(key) : undefined;
    if (!conversation || !this.client.isReady) return;
    if (!conversation.loaded) background(this.#sync.loadLatest(conversation.key));
    // What the list does not need for every conversation, the open one gets.
    if (conversation.kind === "direct") this.#connectSync.askReadMarker(conversation.key);
    else if (conversation.joined && conversation.members.size > 0) this.#connectSync.askWho(conversation.key);
  }

  /** Sends what the user typed; `/me`, `/join`, `/part`, `/topic`, `/msg` work as in IRC clients (irssi's syntax). */
  send(key: string, text: string, replyTo: string | null = null): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    const command = /^\/(\w+)(?:\s+([\s\S]*))?$/.exec(text.trim());
    if (command && !text.startsWith("//")) {
      const [, name = "", rest = ""] = command;
      switch (name.toLowerCase()) {
        case "me":
          this.#typing.sent(key);
          return this.#outbox.submit(key, rest, { replyTo, action: true });
        case "join":
          return this.#joinCommand(rest);
        case "part":
        case "leave":
          return this.#part(key, rest);
        case "topic":
          return this.#topic(conversation, rest);
        case "msg":
        case "query": {
          const [, nick, message] = /^(\S+)\s*([\s\S]*)$/.exec(rest) ?? [];
          if (!nick) return;
          const target = this.startDirect(nick);
          if (target !== null && message) this.send(target, message);
          return;
        }
        default:
          this.store.update((state) => pushNotice(state, `Unknown command /${name}`));
          return;
      }
    }
    this.#typing.sent(key);
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
    if (!conversation.notLoggedIn) this.#readMarkers.send(conversation.name, newest);
  }

  /**
   * `/join #channel [key]`, `/join #a,#b key1,key2` (irssi's syntax): the keys pair with the
   * channels in order; a channel without one is joined without.
   */
  #joinCommand(args: string): void {
    const [channels = "", keys = ""] = args.trim().split(/\s+/);
    const keyList = keys.split(",");
    channels.split(",").forEach((channel, index) => this.join(channel, keyList[index] ?? ""));
  }

  /** Joins `name` (a `#` is added when it has no channel prefix), with `channelKey` for a +k channel. */
  join(name: string, channelKey = ""): void {
    let channel = name.trim();
    if (channel === "") return;
    if (!isChannelName(channel, this.client.isupport.chantypes)) channel = `#${channel}`;
    const key = this.keyOf(channel);
    if (this.store.state.conversations.get(key)?.joined) return this.#requestOpen(key);
    this.#openOnJoin.add(key);
    const given = channelKey.trim();
    // Kept for the joins after a reconnect (ConnectSync), whether this one is sent now or then.
    if (given !== "") this.#channelKeys.set(key, given);
    // Only a registered connection can join: a JOIN written while it is still signing in is
    // refused by the server (451) and would be lost.
    if (!this.client.isReady || !this.client.send("JOIN", given === "" ? [channel] : [channel, given])) {
      // Joined when the connection is ready, like the channels we were in.
      this.#saved.addChannel(channel);
      this.store.update((state) => ensureConversation(state, key, channel, "channel"));
      this.#requestOpen(key);
    }
  }

  /**
   * `/part [#channel[,#channel…]] [reason]`: the channels named, else the conversation
   * on screen (a direct one is closed); the rest of the line is the reason.
   */
  #part(key: string, args: string): void {
    const [, first = "", rest = ""] = /^(\S*)\s*([\s\S]*)$/.exec(args) ?? [];
    const ctx = this.context();
    const named = first.split(",");
    if (!named.every((name) => ctx.isChannel(name))) return this.leave(key, args);
    for (const channel of named) {
      const channelKey = this.keyOf(channel);
      if (this.store.state.conversations.get(channelKey)?.kind === "channel") this.leave(channelKey, rest);
      else this.store.update((state) => pushNotice(state, `You are not in ${channel}.`));
    }
  }

  /** `/topic` shows the channel's topic, `/topic text` sets it, `/topic -delete` removes it (as in irssi). */
  #topic(conversation: Conversation, text: string): void {
    const notice = (message: string): void => this.store.update((state) => pushNotice(state, message));
    if (conversation.kind !== "channel") return notice("/topic works in a channel.");
    // A bare /topic only asks: irssi, WeeChat and The Lounge show the topic, none clears it.
    if (text === "") return notice(conversation.topic ? `Topic of ${conversation.name}: ${conversation.topic}` : `${conversation.name} has no topic.`);
    this.client.send("TOPIC", [conversation.name, text === "-delete" ? "" : text]);
  }

  /** Leaves a channel (PART, with `reason` when one is given) or closes a direct conversation. */
  leave(key: string, reason = ""): void {
    const conversation = this.store.state.conversations.get(key);
    if (!conversation) return;
    if (conversation.kind === "channel" && conversation.joined && this.client.isReady) this.client.send("PART", reason === "" ? [conversation.name] : [conversation.name, reason]);
    // A direct conversation stays closed after a reload until a newer message comes (TARGETS lists every one with a message).
    if (conversation.kind === "direct" && !conversation.notLoggedIn) this.#saved.closeDirect(conversation.name, (conversation.atLatest && latestTime(conversation)) || new Date().toISOString());
    else this.#saved.remove(conversation.name);
    this.#outbox.dropConversation(key);
    this.store.update((state) => withoutConversation(state, key));
  }

  /**
   * Why `nick` cannot be the other side of a direct conversation (null: it can). The
   * server's own rule for nicks (account names are nicks too), and its NICKLEN: anything
   * else would be sent as a target the server reads otherwise (`bob hello` is the target
   * `bob` and the text `hello`; `bob,carol` is two people).
   */
  directTargetProblem(nick: string): string | null {
    const name = nick.trim();
    if (name === "") return "Type an account or nick.";
    if (this.context().isChannel(name)) return `${name} is a channel: use Join a channel.`;
    const longest = this.client.isupport.nickLength;
    if (!isValidNick(name, Number.isFinite(longest) ? longest : name.length)) {
      return `"${name}" is not a nick: a nick is one word of letters, digits and - _ [ ] { } \\ | ^ \` (not starting with a digit or -)${Number.isFinite(longest) ? `, at most ${longest} characters` : ""}.`;
    }
    return null;
  }

  /**
   * Opens (creating if need be) the direct conversation with `nick`; returns its key, or
   * null when `nick` is not a nick (the reason is shown as a notice; nothing is sent).
   */
  startDirect(nick: string, open = true): string | null {
    const name = nick.trim();
    const problem = this.directTargetProblem(name);
    if (problem !== null) {
      this.store.update((state) => pushNotice(state, problem));
      return null;
    }
    const key = this.keyOf(name);
    const isNew = !this.store.state.conversations.has(key);
    this.store.update((state) => ensureConversation(state, key, name, "direct"));
    this.#saved.addDirect(name);
    if (isNew && this.client.isReady) this.#connectSync.watchDirects([name]);
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
    if (conversation && this.store.state.caps.typing) this.#typing.changed(key, conversation.name, hasText);
  }

  /** WEBPUSH REGISTER with a browser push subscription (draft/webpush). */
  registerPush(subscription: { endpoint: string; p256dh: string; auth: string }): boolean {
    return registerPush(this.client, subscription);
  }

  /** WEBPUSH UNREGISTER for `endpoint` (push-registration.ts): whether the server said it is gone. */
  unregisterPush(endpoint: string, timeoutMs?: number): Promise<boolean> {
    return unregisterPush(this.client, endpoint, timeoutMs);
  }

  dismissNotice(id: number): void {
    this.store.update((state) => ({ ...state, notices: state.notices.filter((notice) => notice.id !== id) }));
  }
}
