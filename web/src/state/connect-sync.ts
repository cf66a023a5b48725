import type { ConnectionStatus } from "../irc/irc-client.js";
import { listLines, parseMultilineValue } from "../irc/split.js";
import { ensureConversation, latestTime, withConversation } from "./conversations.js";
import type { HistorySync } from "./history-sync.js";
import type { Outbox } from "./outbox.js";
import type { ChatParts } from "./parts.js";
import type { SavedConversationList } from "./persist.js";
import type { ReadMarkerSync } from "./read-sync.js";
import type { ServerLines } from "./server-lines.js";
import type { Capabilities } from "./types.js";
import { background } from "../background.js";

/** How many conversations TARGETS lists when the page starts (the most recently active). */
const TARGETS_ON_START = 100;

/** What bringing a connection up to date needs of the rest of the chat controller. */
export interface ConnectSyncHost {
  readonly sync: HistorySync;
  readonly outbox: Outbox;
  readonly saved: SavedConversationList;
  readonly readMarkers: ReadMarkerSync;
  readonly lines: ServerLines;
  /** The key of a +k channel (by folded name), when this page was given or saw one. */
  channelKey(key: string): string | undefined;
}

/**
 * Each (re)connection brought up to date: channels joined again, conversations with
 * news gap-filled, read markers and presence asked for once per connection, read
 * markers and queued messages sent once that is done; and a lost connection noted,
 * so the next one knows where its gap starts.
 */
export class ConnectSync {
  /** The newest message time seen before the connection was lost: gap-fill starts here. */
  #lastSeen: string | null = null;
  /** The history syncs the JOINs of this connection started (awaited before the outbox is flushed). */
  #channelSyncs: Array<Promise<void>> = [];
  /**
   * Channels this connection joins again by itself: their history waits for TARGETS to
   * say whether they have news (unless on screen), so a connect costs no line per channel.
   */
  #rejoining = new Set<string>();
  /** Conversations whose read marker (MARKREAD query) and presence (WHO) this connection asked for. */
  #askedMarker = new Set<string>();
  #askedWho = new Set<string>();

  constructor(
    private readonly parts: ChatParts,
    private readonly host: ConnectSyncHost,
  ) {
    parts.client.on("status", (status) => this.#onStatus(status));
    parts.client.on("ready", ({ nick, reconnect }) => background(this.#onReady(nick, reconnect)));
  }

  /** Our JOIN of `key` came back: its history is synced now, or after TARGETS. */
  joined(key: string, alreadyLoaded: boolean): void {
    // A channel joined again on connect waits for TARGETS (see #onReady), unless it is on screen.
    if (this.#rejoining.has(key) && key !== this.parts.store.state.activeKey) return;
    this.#rejoining.delete(key);
    this.#channelSyncs.push(this.#syncHistory(key, alreadyLoaded));
  }

  /** MARKREAD <nick>: the read marker of a direct conversation, once per connection. */
  askReadMarker(key: string): void {
    const { store, client } = this.parts;
    const conversation = store.state.conversations.get(key);
    if (!conversation || conversation.kind !== "direct" || conversation.notLoggedIn || this.#askedMarker.has(key) || !client.caps.has("draft/read-marker")) return;
    if (client.send("MARKREAD", [conversation.name], null, { background: key !== store.state.activeKey })) this.#askedMarker.add(key);
  }

  /** WHO <channel>: who is away (NAMES does not say), once per connection, for the channel on screen. */
  askWho(key: string): void {
    const { store, client } = this.parts;
    const conversation = store.state.conversations.get(key);
    if (!conversation || conversation.kind !== "channel" || this.#askedWho.has(key)) return;
    if (client.send("WHO", [conversation.name], null, { background: true })) this.#askedWho.add(key);
  }

  /** Presence of the other sides of direct conversations (their read markers: askReadMarker). */
  watchDirects(nicks: readonly string[]): void {
    const { client } = this.parts;
    if (!client.isupport.has("MONITOR") || nicks.length === 0) return;
    for (const list of listLines("MONITOR", ["+"], nicks)) client.send("MONITOR", ["+", list], null, { background: true });
  }

  #onStatus(status: ConnectionStatus): void {
    const { store } = this.parts;
    if (status.state === "connecting") {
      this.#channelSyncs = [];
      this.#rejoining = new Set();
      this.#askedMarker = new Set();
      this.#askedWho = new Set();
    }
    if (status.state !== "ready" && store.state.connection.state === "ready") {
      this.#lastSeen = this.#newestSeen();
      this.host.outbox.connectionLost();
      this.host.lines.reset();
    }
    store.update((state) => ({ ...state, connection: status }));
  }

  #newestSeen(): string | null {
    let newest: string | null = null;
    for (const conversation of this.parts.store.state.conversations.values()) {
      const time = latestTime(conversation);
      if (time !== null && (newest === null || time > newest)) newest = time;
    }
    return newest;
  }

  #capabilities(): Capabilities {
    const { client } = this.parts;
    const caps = client.caps;
    const multiline = caps.has("draft/multiline") && caps.has("batch") ? parseMultilineValue(client.offeredCaps.get("draft/multiline") ?? "") : null;
    return {
      multiline,
      redaction: caps.has("draft/message-redaction"),
      readMarker: caps.has("draft/read-marker"),
      history: this.parts.history.available,
      typing: caps.has("message-tags"),
      webPushKey: caps.has("draft/webpush") ? (client.isupport.get("VAPID") ?? null) : null,
    };
  }

  async #onReady(nick: string, reconnect: boolean): Promise<void> {
    const { store, client } = this.parts;
    store.update((state) => ({ ...state, nick, caps: this.#capabilities() }));
    // Channels of ours the server may have forgotten (a restart, or our last connection quit).
    const channels = new Set<string>(this.host.saved.channels);
    for (const conversation of store.state.conversations.values()) if (conversation.kind === "channel" && conversation.joined) channels.add(conversation.name);
    store.update((state) => {
      let next = state;
      for (const conversation of state.conversations.values()) if (conversation.kind === "channel") next = withConversation(next, conversation.key, (c) => ({ ...c, joined: false }));
      return next;
    });
    for (const channel of channels) this.#rejoining.add(this.#keyOf(channel));
    // A +k channel with its key, one line each (few have one); the others in as few lines as fit:
    // the server cuts a line over 512 bytes, and one naming more than TARGMAX channels.
    const withoutKey: string[] = [];
    for (const channel of channels) {
      const channelKey = this.host.channelKey(this.#keyOf(channel));
      if (channelKey === undefined) withoutKey.push(channel);
      else client.send("JOIN", [channel, channelKey]);
    }
    for (const list of listLines("JOIN", [], withoutKey, client.isupport.targetLimit("JOIN"))) client.send("JOIN", [list]);
    // Only conversations with news (TARGETS) and the one on screen load history now: a
    // line or two per conversation on every connect would exceed the server's flood control.
    const since = reconnect ? (this.#lastSeen ?? store.state.since) : new Date(0).toISOString();
    const targets = await this.host.sync.targets(since);
    // A full answer may have left some out: then every conversation may have news.
    const everyoneHasNews = targets.length >= TARGETS_ON_START;
    const ctx = this.parts.context();
    const fills: Array<Promise<void>> = [];
    const withNews = new Set<string>();
    for (const target of targets.slice(0, TARGETS_ON_START)) {
      const key = this.#keyOf(target.name);
      const known = store.state.conversations.get(key);
      // Closed by the user here, with nothing newer since: it stays closed.
      if (!known && !ctx.isChannel(target.name) && this.host.saved.isClosed(target.name, target.latest)) continue;
      withNews.add(key);
      if (ctx.isChannel(target.name)) continue;
      store.update((state) => ensureConversation(state, key, target.name, "direct"));
      if (!known) this.host.saved.addDirect(target.name);
      this.askReadMarker(key);
      fills.push(this.#syncHistory(key, known?.loaded === true));
    }
    // The server answers in order: the JOINs came back before TARGETS did.
    for (const key of this.#rejoining) {
      const channel = store.state.conversations.get(key);
      if (channel?.joined && (everyoneHasNews || withNews.has(key))) fills.push(this.#syncHistory(key, channel.loaded));
    }
    this.#rejoining.clear();
    const directs = [...store.state.conversations.values()].filter((c) => c.kind === "direct" && !c.notLoggedIn);
    this.watchDirects(directs.map((c) => c.name));
    const active = store.state.activeKey ? store.state.conversations.get(store.state.activeKey) : undefined;
    if (active?.kind === "direct" && !withNews.has(active.key)) {
      this.askReadMarker(active.key);
      if (!active.loaded || reconnect) fills.push(this.#syncHistory(active.key, active.loaded));
    }
    await Promise.allSettled([...fills, ...this.#channelSyncs]);
    if (!client.isReady) return;
    this.host.readMarkers.resendUnconfirmed();
    this.host.outbox.settleUnconfirmed();
    this.host.outbox.flushQueued();
  }

  /** First look: the latest page; after a reconnect: the gap since the last message held. */
  #syncHistory(key: string, alreadyLoaded: boolean): Promise<void> {
    return alreadyLoaded ? this.host.sync.gapFill(key) : this.host.sync.loadLatest(key);
  }

  #keyOf(name: string): string {
    return this.parts.client.fold(name);
  }
}
