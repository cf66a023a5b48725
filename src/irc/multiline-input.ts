import type { ClientTags } from "../core/chat/events.js";
import type { ChatUser } from "../core/chat/user.js";
import type { IrcConnection } from "./connection.js";
import type { IrcMessage } from "./message.js";
import type { QueuedLine } from "./input-lines.js";
import { parseMessage } from "./message.js";
import { foldCase } from "../core/chat/names.js";
import { multilineLimits } from "./multiline-limits.js";
import { CONCAT_TAG, MULTILINE_BATCH } from "./message-lines.js";
import { clientTags, sendMessage } from "./commands/message.js";
import { serviceByName } from "./services/service-bot.js";
import { ERR } from "./numerics.js";
import { detached } from "../detached.js";
import { followUpFailed } from "./registration.js";

/**
 * A draft/multiline batch a client opened (`BATCH +ref draft/multiline <target>`):
 * its PRIVMSG (or NOTICE) lines are gathered here and become one message when it
 * ends (`BATCH -ref`).
 */
export interface ClientBatch {
  readonly ref: string;
  readonly target: string;
  /** Client-only tags of the opening line: they belong to the whole message. */
  readonly tags: ClientTags | null;
  /** The opening line's label: the batch's answer carries it (labeled-response). */
  label: string | null;
  readonly openedAt: number;
  command: "PRIVMSG" | "NOTICE" | null;
  /** The message so far: lines joined by "\n", a `draft/multiline-concat` line joined to the previous one as is. */
  text: string;
  lines: number;
  /** As the spec counts them: the lines' bytes and one per line break. */
  bytes: number;
  /**
   * False once the batch was refused: its remaining lines (and its end) are swallowed
   * silently instead of running as single messages, which would deliver fragments.
   */
  collecting: boolean;
}

const MAX_REF_BYTES = 64;

/** A batch that is refused from the start: only there to swallow its lines. */
function refusedBatch(ref: string): ClientBatch {
  return { ref, target: "", tags: null, label: null, openedAt: Date.now(), command: null, text: "", lines: 0, bytes: 0, collecting: false };
}

function fail(connection: IrcConnection, code: string, context: readonly string[], text: string): void {
  connection.serverLine("FAIL", "BATCH", code, ...context, text);
}

/** Refuses the batch (FAIL BATCH, as the answer to its label): it delivers nothing, and swallows the rest of its lines. */
function refuse(connection: IrcConnection, batch: ClientBatch, code: string, context: readonly string[], text: string): void {
  const label = batch.label;
  batch.label = null;
  // Its lines so far ran unthrottled (see gathersLine): a refused batch is billed for them as a sent one is.
  if (batch.collecting) connection.chargeFakelag(fakelagCost(batch));
  batch.collecting = false;
  detached(
    connection.answerLabelled(label, () => {
      fail(connection, code, context, text);
      return undefined;
    }),
    followUpFailed(connection),
  );
}

/** `BATCH +ref draft/multiline <target>` */
export function openBatch(connection: IrcConnection, params: readonly string[], message: IrcMessage): void {
  const ref = params[0]!.slice(1);
  if (ref === "" || Buffer.byteLength(ref) > MAX_REF_BYTES) {
    fail(connection, "MULTILINE_INVALID", [], "Invalid batch reference");
    return;
  }
  const open = connection.clientBatch;
  if (open?.collecting) {
    refuse(connection, open, "MULTILINE_INVALID", [], "A multiline batch is already open");
    connection.clientBatch = refusedBatch(ref);
    return;
  }
  const refused = (code: string, context: readonly string[], text: string): void => {
    fail(connection, code, context, text);
    connection.clientBatch = refusedBatch(ref);
  };
  if (!connection.caps.has("draft/multiline") || !connection.caps.has("batch")) return refused("MULTILINE_INVALID", [], "Negotiate draft/multiline and batch to send a multiline batch");
  if (params[1] !== MULTILINE_BATCH || params.length < 3) return refused("MULTILINE_INVALID", [], `Only ${MULTILINE_BATCH} batches with a target can be sent`);
  const target = params[2]!;
  if (target.includes(",")) return refused("MULTILINE_INVALID_TARGET", [target, target], "A multiline message has one target");
  if (serviceByName(target)) return refused("MULTILINE_INVALID_TARGET", [target, target], "Services take one line at a time");
  const tags = clientTags(connection, message);
  if (tags === "too-long") {
    connection.numeric(ERR.INPUTTOOLONG, "Input line was too long");
    connection.clientBatch = refusedBatch(ref);
    return;
  }
  // The opening line is answered when the batch ends, with the message's echo or an error.
  const label = connection.takeLabel(message);
  connection.clientBatch = { ref, target, tags, label, openedAt: Date.now(), command: null, text: "", lines: 0, bytes: 0, collecting: true };
}

/**
 * Whether the open batch gathers this line (a PRIVMSG or NOTICE tagged with its reference):
 * such lines are not throttled one by one, the batch is billed as a whole when it ends or is
 * refused. Whatever else comes while it is open (PING, PONG, QUIT, BATCH, a stray line)
 * waits its turn like any line, or an open batch would carry any number of them unthrottled.
 */
export function gathersLine(batch: ClientBatch, raw: QueuedLine): boolean {
  if (!batch.collecting || typeof raw !== "string" || !raw.startsWith("@")) return false;
  const message = parseMessage(raw);
  return message !== null && (message.command === "PRIVMSG" || message.command === "NOTICE") && message.tags?.get("batch") === batch.ref;
}

/**
 * Called for every line while a batch is open, before the command runs. Returns true when
 * the line was the batch's (gathered, or swallowed): the spec lets a client send nothing
 * but the batch's lines until it ends; PING, PONG, QUIT and BATCH run as usual.
 */
export function interceptBatchLine(connection: IrcConnection, batch: ClientBatch, message: IrcMessage): boolean {
  const command = message.command;
  if (command === "BATCH" || command === "PONG" || command === "PING" || command === "QUIT") return false;
  if (message.tags?.get("batch") !== batch.ref) {
    // A refused batch only swallows its own lines; the client may go on as it likes.
    if (!batch.collecting) return false;
    refuse(connection, batch, "MULTILINE_INVALID", [], "Only the lines of the open multiline batch may be sent until it ends");
    return true;
  }
  if (batch.collecting) addLine(connection, batch, message);
  return true;
}

function addLine(connection: IrcConnection, batch: ClientBatch, message: IrcMessage): void {
  const command = message.command;
  if (command !== "PRIVMSG" && command !== "NOTICE") return refuse(connection, batch, "MULTILINE_INVALID", [], "A multiline batch holds only PRIVMSG or NOTICE lines");
  if (batch.command !== null && batch.command !== command) return refuse(connection, batch, "MULTILINE_INVALID", [], "A multiline batch holds PRIVMSG or NOTICE lines, not both");
  const target = message.params[0] ?? "";
  if (foldCase(target) !== foldCase(batch.target)) return refuse(connection, batch, "MULTILINE_INVALID_TARGET", [batch.target, target], "Invalid multiline target");
  const text = message.params[1] ?? "";
  const concatTag = message.tags?.has(CONCAT_TAG) === true;
  if (concatTag && text === "") return refuse(connection, batch, "MULTILINE_INVALID", [], "A blank line cannot be concatenated");
  const limits = multilineLimits(connection.context.config);
  if (batch.lines >= limits.maxLines) return refuse(connection, batch, "MULTILINE_MAX_LINES", [String(limits.maxLines)], "Multiline batch max-lines exceeded");
  // A concat tag on the first line has nothing to join to: it starts the text like any line.
  const lineBreak = batch.lines > 0 && !concatTag;
  const added = Buffer.byteLength(text) + (lineBreak ? 1 : 0);
  if (batch.bytes + added > limits.maxBytes) return refuse(connection, batch, "MULTILINE_MAX_BYTES", [String(limits.maxBytes)], "Multiline batch max-bytes exceeded");
  batch.command = command;
  batch.text += lineBreak ? `\n${text}` : text;
  batch.lines++;
  batch.bytes += added;
}

/** Ergo's bill for a batch sent without fakelag: by its bytes, or by its lines when they are many and short. */
function fakelagCost(batch: ClientBatch): number {
  return Math.max(Math.floor(batch.bytes / 512) + 1, Math.floor((batch.lines * 60) / 512));
}

/** `BATCH -ref`: the gathered lines go out as one message, through the same path as a PRIVMSG. */
export function closeBatch(connection: IrcConnection, user: ChatUser, ref: string): Promise<void> | undefined {
  const batch = connection.clientBatch;
  if (batch === null || batch.ref !== ref) {
    if (batch?.collecting) refuse(connection, batch, "MULTILINE_INVALID", [], "That is not the open multiline batch");
    else fail(connection, "MULTILINE_INVALID", [], "No multiline batch of that reference is open");
    connection.clientBatch = null;
    return undefined;
  }
  connection.clientBatch = null;
  if (!batch.collecting) return undefined;
  // The spec forbids a message of blank lines only (and a batch of no line is no message).
  if (batch.command === null || /^\n*$/.test(batch.text)) {
    refuse(connection, batch, "MULTILINE_INVALID", [], "A multiline message needs at least one line that is not blank");
    return undefined;
  }
  connection.chargeFakelag(fakelagCost(batch));
  const command = batch.command;
  return connection.answerLabelled(batch.label, () => sendMessage(command === "NOTICE" ? "notice" : "privmsg", command, connection, user, batch.target, batch.text, batch.tags));
}

/** Drops a batch left open longer than irc.multiline.timeoutSeconds (called by the connection sweep). */
export function expireClientBatch(connection: IrcConnection, now: number): void {
  const batch = connection.clientBatch;
  if (batch === null || now - batch.openedAt <= connection.context.config.irc.multiline.timeoutSeconds * 1000) return;
  connection.clientBatch = null;
  if (batch.collecting) refuse(connection, batch, "MULTILINE_INVALID", [], "The multiline batch was not closed in time");
}
