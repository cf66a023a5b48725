import { isBatch, type Batch } from "../irc/batches.js";
import { keyChange } from "../irc/channel-modes.js";
import { nickOf, type IrcMessage } from "../irc/irc-line.js";
import { ensureConversation, withConversation, withoutConversation } from "./conversations.js";
import { directAccount, isImpostor, notLoggedInName, withNotLoggedIn } from "./impostors.js";
import { messageFromLine, messageFromMultiline, type Located } from "./messages.js";
import type { Outbox } from "./outbox.js";
import type { ChatParts } from "./parts.js";
import { addLiveMessage, addReaction, everyChannel, memberJoined, memberLeft, pushNotice, redactMessage, setMembers, setReadMarker, setTopic, setTyping } from "./reducers.js";
import type { Attention, ChatMessage, Conversation, Member } from "./types.js";

/** What the server's lines need from the rest of the chat controller. */
export interface ServerLinesHost {
  readonly outbox: Outbox;
  /** Someone new wrote to us directly: the conversation is remembered and watched. */
  directAppeared(name: string): void;
  /** The other side of a direct conversation changed nick, and the conversation followed (`account`: theirs, when known). */
  directRenamed(from: string, to: string, account: string | null): void;
  /** Our JOIN came back: the channel is remembered, opened if the user asked, its history synced. */
  joined(key: string, name: string, alreadyLoaded: boolean): void;
  /** A channel's member list is complete (NAMES): who is away is asked for where it shows. */
  namesComplete(key: string): void;
  /** We are out of a conversation (our PART, or a KICK): the device forgets it. */
  forget(name: string): void;
  /** A mention or direct message arrived (for notifications). */
  attention(attention: Attention): void;
  /** The name the device saved the direct conversation shown as `nick` under, when another (its account). */
  savedNameOf(nick: string): string | null;
  /** A channel's key changed (MODE +k/-k while we are in), or the server refused the one we gave (475): null. */
  channelKey(name: string, key: string | null): void;
}

/** How many labels of quiet lines are kept: their answers come within moments. */
const QUIET_LABELS = 32;

/**
 * What the server says, turned into the chat state: messages (live, multiline, echoes
 * of our own), typing and reactions, JOIN/PART/KICK/QUIT/NICK, names and away, topics,
 * read markers, redactions, and errors worth showing.
 */
export class ServerLines {
  /** NAMES replies being collected, per channel key, until 366. */
  readonly #names = new Map<string, Map<string, Member>>();
  /** Labels of our own lines whose refusal the user need not see, oldest first. */
  readonly #quiet = new Set<string>();

  constructor(
    private readonly parts: ChatParts,
    private readonly host: ServerLinesHost,
  ) {
    parts.client.on("message", (message) => this.#onLine(message, null));
    parts.client.on("batch", (batch) => this.#onBatch(batch, null));
  }

  /** Errors answering the line labelled `label` (labeled-response) are not shown. */
  quietly(label: string): void {
    this.#quiet.add(label);
    if (this.#quiet.size > QUIET_LABELS) this.#quiet.delete(this.#quiet.values().next().value!);
  }

  /** A new connection: NAMES of the old one will not end. */
  reset(): void {
    this.#names.clear();
  }

  #keyOf(name: string): string {
    return this.parts.client.fold(name);
  }

  #onBatch(batch: Batch, outerLabel: string | null): void {
    const label = batch.tags?.get("label") ?? outerLabel;
    switch (batch.type) {
      case "chathistory":
      case "draft/chathistory-targets":
        return; // answers to ChatHistory's requests
      case "draft/multiline": {
        const located = messageFromMultiline(batch, this.parts.context());
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
        const located = messageFromLine(line, this.parts.context());
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
        this.parts.store.update((state) => everyChannel(state, this.#keyOf(from), (members) => members.delete(this.#keyOf(from))));
        return;
      case "NICK":
        return this.#onNick(from, p[0] ?? from);
      case "AWAY":
        return this.#setAway(from, p[0] !== undefined && p[0] !== "");
      case "MODE":
        return this.#onMode(p);
      case "TOPIC":
        this.parts.store.update((state) => setTopic(state, this.#keyOf(p[0] ?? ""), p[1] ?? null));
        return;
      case "332":
        this.parts.store.update((state) => setTopic(state, this.#keyOf(p[1] ?? ""), p[2] ?? null));
        return;
      case "331":
        this.parts.store.update((state) => setTopic(state, this.#keyOf(p[1] ?? ""), null));
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
        this.parts.store.update((state) => redactMessage(state, this.#conversationKey(p[0] ?? "", line.source), p[1] ?? ""));
        return;
      case "ACK":
        return;
      case "FAIL":
        if (label !== null && (this.#quiet.has(label) || this.host.outbox.fail(label, p[p.length - 1] ?? "Refused"))) return;
        if (p[0] === "CHATHISTORY" || p[0] === "MARKREAD") return;
        this.parts.store.update((state) => pushNotice(state, p[p.length - 1] ?? `${p[0]} failed`));
        return;
      case "475":
        // ERR_BADCHANNELKEY: the key kept for this channel (if any) is not worth trying again.
        this.host.channelKey(p[1] ?? "", null);
        return this.#onErrorNumeric(line, label);
      default:
        if (/^[45]\d\d$/.test(line.command)) this.#onErrorNumeric(line, label);
    }
  }

  /** MODE <channel> <changes> <parameters…>: a key set or removed is kept for joining again after a reconnect. */
  #onMode(params: readonly string[]): void {
    const [target = "", ...changes] = params;
    if (!this.parts.context().isChannel(target)) return;
    const key = keyChange(changes, this.parts.client.isupport);
    if (key !== undefined) this.host.channelKey(target, key);
  }

  #onErrorNumeric(line: IrcMessage, label: string | null): void {
    const p = line.params;
    const text = p[p.length - 1] ?? "Error";
    const subject = p.length > 2 ? p[1] : undefined;
    if (label !== null && (this.#quiet.has(label) || this.host.outbox.fail(label, text))) return;
    // Replies to our own background requests, or harmless: not worth the user's attention.
    if (["421", "422", "433", "442", "443", "462", "704", "705", "706"].includes(line.command)) return;
    this.parts.store.update((state) => pushNotice(state, subject ? `${subject}: ${text}` : text));
  }

  #conversationKey(target: string, source: string | null): string {
    const ctx = this.parts.context();
    let name = target;
    if (!ctx.isChannel(name)) name = ctx.isMe(nickOf(source)) ? target : nickOf(source);
    return this.#keyOf(name);
  }

  #onMessage(found: Located<ChatMessage>, label: string | null): void {
    const located = this.#notFromAccount(found);
    const key = this.#keyOf(located.name);
    const message = located.item;
    if (!this.parts.store.state.conversations.has(key)) {
      if (located.kind === "channel") return; // not one of ours
      this.parts.store.update((state) => ensureConversation(state, key, located.name, "direct"));
      this.host.directAppeared(located.name);
    }
    if (message.self && this.host.outbox.confirm(key, message, label)) return;
    this.parts.store.update((state) => addLiveMessage(state, key, message));
    if (!message.self && message.mention) {
      const attention: Attention = { conversation: located.name, kind: located.kind === "direct" ? "direct" : "mention", message };
      this.host.attention(attention);
    }
  }

  /**
   * A direct message under the nick of someone we talk to that is not from the account the
   * conversation is with (no account tag, or another): moved to a not-logged-in conversation of its own.
   */
  #notFromAccount(located: Located<ChatMessage>): Located<ChatMessage> {
    const conversation = located.kind === "direct" ? this.parts.store.state.conversations.get(this.#keyOf(located.name)) : undefined;
    if (!conversation || conversation.notLoggedIn) return located;
    const account = directAccount(conversation, this.host.savedNameOf(located.name));
    if (account === null || !isImpostor(located.item, account, (name) => this.#keyOf(name))) return located;
    const name = notLoggedInName(located.item.nick);
    this.parts.store.update((state) => withNotLoggedIn(state, this.#keyOf(name), located.item.nick, account));
    return { ...located, name };
  }

  #onTagmsg(line: IrcMessage): void {
    const target = line.params[0];
    if (!target || !line.tags) return;
    const from = nickOf(line.source);
    const key = this.#conversationKey(target, line.source);
    const typing = line.tags.get("+typing");
    if (typing !== undefined && !this.parts.client.isMe(from)) this.parts.store.update((state) => setTyping(state, key, from, typing, Date.now()));
    const reaction = line.tags.get("+draft/react");
    const replyTo = line.tags.get("+draft/reply");
    if (reaction && replyTo) this.parts.store.update((state) => addReaction(state, key, replyTo, reaction, from));
  }

  #onJoin(line: IrcMessage): void {
    const channel = line.params[0] ?? "";
    const nick = nickOf(line.source);
    const key = this.#keyOf(channel);
    // extended-join: JOIN <channel> <account|*> :<realname>
    const account = line.params[1] && line.params[1] !== "*" ? line.params[1] : null;
    if (!this.parts.client.isMe(nick)) {
      this.parts.store.update((state) => memberJoined(state, key, this.#keyOf(nick), { nick, prefix: "", away: false, account }));
      return;
    }
    const known = this.parts.store.state.conversations.get(key);
    this.parts.store.update((state) => withConversation(ensureConversation(state, key, channel, "channel"), key, (c) => ({ ...c, name: channel, joined: true })));
    this.host.joined(key, channel, known?.loaded === true);
  }

  #onPart(channel: string, nick: string, kickedWhy?: string): void {
    const key = this.#keyOf(channel);
    if (!this.parts.client.isMe(nick)) {
      this.parts.store.update((state) => memberLeft(state, key, this.#keyOf(nick)));
      return;
    }
    if (kickedWhy) {
      this.parts.store.update((state) => pushNotice(withConversation(state, key, (c) => ({ ...c, joined: false, members: new Map() })), kickedWhy));
      this.host.forget(channel);
      return;
    }
    // Our PART (from here or another device of ours): the channel leaves the list.
    this.host.forget(channel);
    this.parts.store.update((state) => withoutConversation(state, key));
  }

  #onNick(from: string, to: string): void {
    const oldKey = this.#keyOf(from);
    const newKey = this.#keyOf(to);
    if (this.parts.client.isMe(to)) this.parts.store.update((state) => ({ ...state, nick: to }));
    // A direct conversation follows the person when their new nick has none of its own.
    const known = this.parts.store.state.conversations;
    const partner = known.get(oldKey);
    const follows = partner?.kind === "direct" && oldKey !== newKey && !known.has(newKey);
    // Asked before the members are renamed.
    const account = follows ? this.#accountOf(partner, oldKey) : null;
    this.parts.store.update((state) => {
      let next = everyChannel(state, oldKey, (members, member) => {
        members.delete(oldKey);
        members.set(newKey, { ...member, nick: to });
      });
      const direct = next.conversations.get(oldKey);
      if (follows && direct) {
        const conversations = new Map(next.conversations);
        conversations.delete(oldKey);
        conversations.set(newKey, { ...direct, key: newKey, name: to });
        next = { ...next, conversations, activeKey: next.activeKey === oldKey ? newKey : next.activeKey };
      }
      return next;
    });
    if (follows) this.host.directRenamed(from, to, account);
  }

  /** The account of the other side of a direct conversation, as their messages (account-tag) or a shared channel (extended-join) say. */
  #accountOf(direct: Conversation, folded: string): string | null {
    const said = direct.messages.findLast((message) => !message.self && message.account !== null)?.account;
    if (said) return said;
    for (const conversation of this.parts.store.state.conversations.values()) {
      const account = conversation.members.get(folded)?.account;
      if (account) return account;
    }
    return null;
  }

  #setAway(nick: string, away: boolean): void {
    const folded = this.#keyOf(nick);
    this.parts.store.update((state) => everyChannel(state, folded, (members, member) => members.set(folded, { ...member, away })));
    this.#setPeerAway(nick, away);
  }

  #setPeerAway(nick: string, away: boolean): void {
    this.parts.store.update((state) => withConversation(state, this.#keyOf(nick), (c) => (c.kind !== "direct" || c.peerAway === away ? c : { ...c, peerAway: away })));
  }

  #onNames(channel: string, list: string): void {
    const key = this.#keyOf(channel);
    let names = this.#names.get(key);
    if (!names) this.#names.set(key, (names = new Map()));
    const symbols = this.parts.client.isupport.prefixes.map(([, symbol]) => symbol).join("");
    for (const entry of list.split(" ")) {
      if (entry === "") continue;
      let i = 0;
      while (i < entry.length && symbols.includes(entry[i]!)) i++;
      const nick = nickOf(entry.slice(i));
      names.set(this.#keyOf(nick), { nick, prefix: entry.slice(0, i), away: false, account: null });
    }
  }

  #onEndOfNames(channel: string): void {
    const key = this.#keyOf(channel);
    const names = this.#names.get(key) ?? new Map<string, Member>();
    this.#names.delete(key);
    const previous = this.parts.store.state.conversations.get(key)?.members;
    // Away flags survive a new NAMES; WHO (for the channel on screen) brings the truth for everyone.
    for (const [folded, member] of names) if (previous?.get(folded)?.away) names.set(folded, { ...member, away: true });
    this.parts.store.update((state) => setMembers(state, key, names));
    if (this.parts.store.state.conversations.has(key)) this.host.namesComplete(key);
  }

  #onMarkread(target: string, value: string): void {
    // The target is the conversation itself: a channel, or the other side's nick.
    const key = this.#keyOf(target);
    const time = value.startsWith("timestamp=") ? value.slice(10) : null;
    this.parts.store.update((state) => setReadMarker(state, key, time));
  }
}
