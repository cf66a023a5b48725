import { isBatch, type Batch } from "../irc/batches.js";
import { nickOf, type IrcMessage } from "../irc/irc-line.js";
import type { ChatMessage, ConversationKind } from "./types.js";

/** What turning IRC lines into chat messages needs to know about the connection. */
export interface LineContext {
  readonly nick: string;
  fold(name: string): string;
  isMe(nick: string): boolean;
  isChannel(name: string): boolean;
  /** STATUSMSG prefixes ("@+"): `PRIVMSG @#chan` is a message in #chan. */
  readonly statusPrefixes: string;
}

export interface Located<T> {
  /** The conversation as it should be shown: "#general" or the other side's nick. */
  readonly name: string;
  readonly kind: ConversationKind;
  readonly item: T;
}

const ACTION = /^\x01ACTION (.*?)\x01?$/s;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether `text` names `nick` as a word (nicks may hold []\`^{}|- , so no \b). */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  return new RegExp(`(^|[^A-Za-z0-9_\\-\\[\\]\\\\\`^{}|])${escapeRegExp(nick)}($|[^A-Za-z0-9_\\-\\[\\]\\\\\`^{}|])`, "i").test(text);
}

/** The conversation a PRIVMSG/NOTICE/TAGMSG/REDACT line belongs to, from our side. */
export function conversationOf(target: string, source: string | null, ctx: LineContext): { name: string; kind: ConversationKind } {
  let name = target;
  while (name.length > 1 && ctx.statusPrefixes.includes(name[0]!) && ctx.isChannel(name.slice(1))) name = name.slice(1);
  if (ctx.isChannel(name)) return { name, kind: "channel" };
  const from = nickOf(source);
  // Our own message (an echo, or history) lives with its target; anyone else's with its sender.
  return { name: ctx.isMe(from) ? name : from, kind: "direct" };
}

function timeOf(tags: ReadonlyMap<string, string> | null): string {
  const time = tags?.get("time");
  return time && !Number.isNaN(Date.parse(time)) ? new Date(time).toISOString() : new Date().toISOString();
}

let localCounter = 0;
export function localId(): string {
  return `local-${Date.now().toString(36)}-${++localCounter}`;
}

function build(source: string | null, command: string, tags: ReadonlyMap<string, string> | null, rawText: string, kind: ConversationKind, ctx: LineContext): ChatMessage | null {
  let text = rawText;
  let messageKind: ChatMessage["kind"] = command === "NOTICE" ? "notice" : "privmsg";
  if (text.startsWith("\x01")) {
    const action = ACTION.exec(text);
    if (!action) return null; // other CTCP requests are not chat
    text = action[1]!;
    messageKind = "action";
  }
  const nick = nickOf(source);
  const self = ctx.isMe(nick);
  const msgid = tags?.get("msgid") ?? null;
  return {
    id: msgid ?? localId(),
    msgid,
    time: timeOf(tags),
    nick,
    account: tags?.get("account") ?? null,
    kind: messageKind,
    text,
    self,
    mention: !self && (kind === "direct" || mentions(text, ctx.nick)),
    replyTo: tags?.get("+draft/reply") ?? null,
    reactions: [],
    redacted: false,
    delivery: "sent",
  };
}

/** A PRIVMSG or NOTICE line as a chat message, with its conversation; null for anything else. */
export function messageFromLine(line: IrcMessage, ctx: LineContext): Located<ChatMessage> | null {
  if ((line.command !== "PRIVMSG" && line.command !== "NOTICE") || line.params.length < 2) return null;
  const where = conversationOf(line.params[0]!, line.source, ctx);
  const message = build(line.source, line.command, line.tags, line.params[1]!, where.kind, ctx);
  return message ? { ...where, item: message } : null;
}

/** A draft/multiline batch as one message: lines joined by newlines, `draft/multiline-concat` lines glued on. */
export function messageFromMultiline(batch: Batch, ctx: LineContext): Located<ChatMessage> | null {
  const target = batch.params[0];
  const lines = batch.items.filter((item): item is IrcMessage => !isBatch(item) && (item.command === "PRIVMSG" || item.command === "NOTICE"));
  const first = lines[0];
  if (target === undefined || !first) return null;
  let text = "";
  lines.forEach((line, i) => {
    if (i > 0 && !line.tags?.has("draft/multiline-concat")) text += "\n";
    text += line.params[1] ?? "";
  });
  const where = conversationOf(target, first.source, ctx);
  // The batch's own tags carry the msgid and time; client tags may sit on the first line.
  const tags = new Map([...(first.tags ?? []), ...(batch.tags ?? [])]);
  const message = build(first.source ?? batch.source, first.command, tags, text, where.kind, ctx);
  return message ? { ...where, item: message } : null;
}

/**
 * Appends a line without msgid to the message just before it when it is the rest of
 * that message: the server splits a text longer than one line over several lines,
 * all with the same time and sender, only the first with the msgid.
 */
export function continues(previous: ChatMessage | undefined, next: ChatMessage): boolean {
  return previous !== undefined && next.msgid === null && previous.msgid !== null && previous.time === next.time && previous.nick === next.nick && previous.kind === next.kind;
}

/** The messages of a chathistory batch, oldest first. */
export function messagesFromHistory(batch: Batch, ctx: LineContext): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const item of batch.items) {
    const located = isBatch(item) ? (item.type === "draft/multiline" ? messageFromMultiline(item, ctx) : null) : messageFromLine(item, ctx);
    if (!located) continue;
    const previous = out[out.length - 1];
    if (continues(previous, located.item)) out[out.length - 1] = { ...previous!, text: previous!.text + located.item.text };
    else out.push(located.item);
  }
  return out;
}

/**
 * `existing` and `incoming` as one list, oldest first, each msgid once. A message we
 * already hold keeps its reactions and redaction. Messages of the same millisecond keep
 * the server's order: an older page (`incomingIsOlder`) goes before what we hold.
 */
export function mergeMessages(existing: readonly ChatMessage[], incoming: readonly ChatMessage[], incomingIsOlder = false): ChatMessage[] {
  const known = new Set<string>();
  for (const message of existing) if (message.msgid) known.add(message.msgid);
  const added = incoming.filter((message) => {
    if (message.msgid === null) return true;
    if (known.has(message.msgid)) return false;
    known.add(message.msgid);
    return true;
  });
  if (added.length === 0) return existing as ChatMessage[];
  const all = incomingIsOlder ? [...added, ...existing] : [...existing, ...added];
  // Stable: equal times keep the order they came in.
  return all.map((message, index) => ({ message, index })).sort((a, b) => (a.message.time < b.message.time ? -1 : a.message.time > b.message.time ? 1 : a.index - b.index)).map((entry) => entry.message);
}
