import type { RelayedEvent } from "../core/chat/events.js";
import type { AppliedModeChange } from "../core/chat/events.js";
import { formatLine, type OutgoingTags } from "./format.js";
import { needsSeveralLines, textMessageLines } from "./message-lines.js";
import { VARIANT_BITS, VARIANT_COUNT } from "./capabilities.js";
import { CHANNEL_MODE_LETTERS } from "./modes.js";
import { WIRE, WIRE_FORMAT_COUNT, type LineEncoder } from "../net/line-transport.js";

export function serverTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function modeString(changes: readonly AppliedModeChange[]): string[] {
  let letters = "";
  let sign = "";
  const params: string[] = [];
  for (const change of changes) {
    const wanted = change.on ? "+" : "-";
    if (wanted !== sign) {
      letters += wanted;
      sign = wanted;
    }
    switch (change.kind) {
      case "flag":
        letters += CHANNEL_MODE_LETTERS.flag[change.mode];
        break;
      case "key":
        letters += "k";
        params.push(change.on ? change.key : "*");
        break;
      case "limit":
        letters += "l";
        if (change.on) params.push(String(change.limit));
        break;
      case "member":
        letters += CHANNEL_MODE_LETTERS.member[change.mode];
        params.push(change.nick);
        break;
      case "list":
        letters += CHANNEL_MODE_LETTERS.list[change.mode];
        params.push(change.mask);
        break;
    }
  }
  return [letters, ...params];
}

/**
 * Writes one chat event as IRC for one format variant (a set of caps): one line,
 * or several for a message whose text does not fit one line.
 */
export function eventLine(event: RelayedEvent, variant: number): string {
  const tags: Array<[string, string]> = [];
  if (variant & VARIANT_BITS["server-time"]) tags.push(["time", serverTime(event.time)]);
  if ((event.type === "message" || event.type === "redact") && variant & VARIANT_BITS["message-tags"]) {
    tags.push(["msgid", event.msgid]);
    if (event.type === "message" && event.tags) for (const entry of Object.entries(event.tags)) tags.push(entry);
  }
  const from = event.from;
  if (variant & VARIANT_BITS["account-tag"] && from.account !== null) tags.push(["account", from.account]);
  // IRCv3 bot-mode: whatever a bot (user mode +B) sends carries the `bot` tag.
  if (from.bot === true && variant & VARIANT_BITS["message-tags"]) tags.push(["bot", ""]);
  const source = `${from.nick}!${from.username}@${from.hostname}`;
  const t: OutgoingTags = tags;
  switch (event.type) {
    case "message":
      if (event.kind === "tagmsg") return formatLine(source, "TAGMSG", [event.target], t);
      // Text with line breaks, or too long for one 512-byte line, goes out as several lines (message-lines.ts).
      return textMessageLines(source, event.kind === "privmsg" ? "PRIVMSG" : "NOTICE", event.target, event.text, t, variant & VARIANT_BITS["draft/multiline"] ? event.msgid : null);
    case "join":
      if (variant & VARIANT_BITS["extended-join"]) return formatLine(source, "JOIN", [event.channel, from.account ?? "*", event.realname], t);
      return formatLine(source, "JOIN", [event.channel], t);
    case "part":
      return formatLine(source, "PART", event.reason ? [event.channel, event.reason] : [event.channel], t);
    case "kick":
      return formatLine(source, "KICK", [event.channel, event.target, event.reason], t);
    case "quit":
      return formatLine(source, "QUIT", [event.reason], t);
    case "nick":
      return formatLine(source, "NICK", [event.nick], t);
    case "topic":
      return formatLine(source, "TOPIC", [event.channel, event.topic], t);
    case "mode":
      return modeLines(source, event.channel, event.changes, t);
    case "invite":
      return formatLine(source, "INVITE", [event.target, event.channel], t);
    case "away":
      return formatLine(source, "AWAY", event.message === null ? [] : [event.message], t);
    case "realname":
      return formatLine(source, "SETNAME", [event.realname], t);
    case "account":
      return formatLine(source, "ACCOUNT", [event.account ?? "*"], t);
    case "wallops":
      return formatLine(source, "WALLOPS", [event.text], t);
    case "redact":
      return formatLine(source, "REDACT", event.reason === null ? [event.target, event.redacted] : [event.target, event.redacted, event.reason], t);
  }
}

/** Body bytes of a line, CRLF not counted (RFC 1459: 512 with it). */
const MAX_LINE_BODY_BYTES = 510;

/**
 * One MODE line, or several when the changes with their masks and nicks do not fit in
 * one: cut by formatLine, a ban mask would arrive truncated and every member's list
 * would differ from the channel's. Each line holds whole changes; the first carries every
 * tag, the others all but the msgid (one change of modes, one id).
 */
function modeLines(source: string, channel: string, changes: readonly AppliedModeChange[], tags: OutgoingTags): string {
  const bodyBytes = (part: readonly AppliedModeChange[]): number => Buffer.byteLength(`:${source} MODE ${channel} ${modeString(part).join(" ")}`) + 1;
  if (changes.length <= 1 || bodyBytes(changes) <= MAX_LINE_BODY_BYTES) return formatLine(source, "MODE", [channel, ...modeString(changes)], tags);
  const lines: string[] = [];
  let chunk: AppliedModeChange[] = [];
  for (const change of changes) {
    if (chunk.length > 0 && bodyBytes([...chunk, change]) > MAX_LINE_BODY_BYTES) {
      lines.push(formatLine(source, "MODE", [channel, ...modeString(chunk)], lines.length === 0 ? tags : withoutMsgid(tags)));
      chunk = [];
    }
    chunk.push(change);
  }
  lines.push(formatLine(source, "MODE", [channel, ...modeString(chunk)], lines.length === 0 ? tags : withoutMsgid(tags)));
  return lines.join("");
}

function withoutMsgid(tags: OutgoingTags): OutgoingTags {
  return tags.filter(([key]) => key !== "msgid");
}

const ALL_VARIANT_BITS = VARIANT_COUNT - 1;
const WITHOUT_MULTILINE = ALL_VARIANT_BITS & ~VARIANT_BITS["draft/multiline"];

/** Whether the draft/multiline cap changes how `event` is written: only for a message of several lines. */
function multilineMatters(event: RelayedEvent): boolean {
  if (event.type !== "message" || event.kind === "tagmsg") return false;
  const from = event.from;
  return needsSeveralLines(`${from.nick}!${from.username}@${from.hostname}`, event.kind === "privmsg" ? "PRIVMSG" : "NOTICE", event.target, event.text);
}

/**
 * Format once, write many: the chat core hands the same event object to every
 * local recipient in one synchronous loop, so remembering the last event's bytes
 * per variant (and per wire format: IRC lines, WebSocket frames) means each is
 * made once per event, however many recipients share it.
 */
export class EventLineCache {
  #event: RelayedEvent | null = null;
  readonly #lines: Array<Buffer | undefined> = new Array<Buffer | undefined>(VARIANT_COUNT);
  /** The variant bits that change this event's bytes: recipients differing only in others share one copy. */
  #relevant = ALL_VARIANT_BITS;
  /** Encoded for a wire other than plain lines, at variant * WIRE_FORMAT_COUNT + wire. */
  readonly #encoded: Array<Buffer | undefined> = new Array<Buffer | undefined>(VARIANT_COUNT * WIRE_FORMAT_COUNT);
  /** The slots of #lines and #encoded this event filled: a new event clears those, not all 128 (most events have one or two recipients' variants). */
  readonly #filledLines: number[] = [];
  readonly #filledEncoded: number[] = [];

  /** The event as IRC lines, each ended by CRLF. */
  bytesFor(event: RelayedEvent, variant: number): Buffer {
    if (event !== this.#event) this.#start(event);
    variant &= this.#relevant;
    let bytes = this.#lines[variant];
    if (!bytes) {
      bytes = Buffer.from(eventLine(event, variant));
      this.#lines[variant] = bytes;
      this.#filledLines.push(variant);
    }
    return bytes;
  }

  #start(event: RelayedEvent): void {
    this.#event = event;
    for (const slot of this.#filledLines) this.#lines[slot] = undefined;
    for (const slot of this.#filledEncoded) this.#encoded[slot] = undefined;
    this.#filledLines.length = 0;
    this.#filledEncoded.length = 0;
    this.#relevant = multilineMatters(event) ? ALL_VARIANT_BITS : WITHOUT_MULTILINE;
  }

  /** The event as `encoder` puts it on its wire. */
  wireBytesFor(event: RelayedEvent, variant: number, encoder: LineEncoder): Buffer {
    const lines = this.bytesFor(event, variant);
    if (encoder.wire === WIRE.lines) return lines;
    const index = (variant & this.#relevant) * WIRE_FORMAT_COUNT + encoder.wire;
    let bytes = this.#encoded[index];
    if (!bytes) {
      bytes = encoder.encode(lines);
      this.#encoded[index] = bytes;
      this.#filledEncoded.push(index);
    }
    return bytes;
  }
}
