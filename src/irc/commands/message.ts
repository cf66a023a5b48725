import type { ClientTags, MessageKind } from "../../core/chat/events.js";
import type { SendResult } from "../../core/chat/messaging.js";
import { inOrder } from "../../maybe-async.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import type { IrcMessage } from "../message.js";
import { ERR, RPL } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { escapeTagValue } from "../message.js";
import { serviceByName, type ServiceNick } from "../services/service-bot.js";
import { runService } from "../services/index.js";
import { splitList } from "../replies.js";
import { foldCase } from "../../core/chat/names.js";
import { STATUSMSG } from "../modes.js";
import type { MemberMode } from "../../core/chat/channel.js";
import { hiddenFrom } from "../../core/chat/visibility.js";

/** IRCv3 message-tags: client-only tag data a client may send, leaving room for the server's own tags. */
const MAX_CLIENT_TAG_BYTES = 4094;

/**
 * Client-only tags (`+name`) travel with the message; server tags a client sends are
 * not trusted. Returns "too-long" when they exceed what recipients can be sent.
 */
export function clientTags(connection: IrcConnection, message: IrcMessage): ClientTags | null | "too-long" {
  if (!message.tags || !connection.caps.has("message-tags")) return null;
  let tags: Record<string, string> | null = null;
  let size = 0;
  for (const [key, value] of message.tags) {
    if (!key.startsWith("+")) continue;
    // As sent: `key` or `key=value`, with a `;` between tags.
    if (tags) size += 1;
    tags ??= {};
    tags[key] = value;
    size += Buffer.byteLength(key) + (value === "" ? 0 : 1 + Buffer.byteLength(escapeTagValue(value)));
  }
  return size > MAX_CLIENT_TAG_BYTES ? "too-long" : tags;
}

/** The targets of a list, each once (in any case), in the order first named: a target named twice gets the message once. */
function distinct(targets: readonly string[]): string[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const folded = foldCase(target);
    if (seen.has(folded)) return false;
    seen.add(folded);
    return true;
  });
}

/** Synchronous while nothing has to wait (see Messaging.send): a promise only when a message is stored or looked up. */
function relay(kind: MessageKind, command: string, connection: IrcConnection, user: ChatUser, params: readonly string[], message: IrcMessage): Promise<void> | undefined {
  const quiet = kind === "notice"; // RFC 2812: never answer a NOTICE with an error
  const targets = distinct(splitList(params[0]));
  if (targets.length === 0) {
    if (!quiet) connection.numeric(ERR.NORECIPIENT, `No recipient given (${command})`);
    return;
  }
  const text = params[1] ?? "";
  if (kind !== "tagmsg" && text === "") {
    if (!quiet) connection.numeric(ERR.NOTEXTTOSEND, "No text to send");
    return;
  }
  if (targets.length > connection.context.config.irc.maxTargets) {
    if (!quiet) connection.numeric(ERR.TOOMANYTARGETS, params[0]!, "Too many targets");
    return;
  }
  const tags = clientTags(connection, message);
  if (tags === "too-long") {
    connection.numeric(ERR.INPUTTOOLONG, "Input line was too long");
    return;
  }
  if (kind === "tagmsg" && !tags) return;
  return inOrder(targets, (target) => {
    const service = serviceByName(target);
    // Commands to services may hold passwords: they are answered here, never relayed or stored.
    if (service) return kind === "privmsg" ? messageService(service, connection, user, text, tags) : undefined;
    // The whole text goes to core; the IRC adapter splits it over lines for each recipient if it must.
    return sendMessage(kind, command, connection, user, target, kind === "tagmsg" ? "" : text, tags);
  });
}

/**
 * A command to a service, echoed first (as Ergo does) so that echo-message clients show
 * the line the user typed. The echo goes to this connection only and is never stored:
 * the text may hold a password, which the user's other connections must not see.
 */
function messageService(service: ServiceNick, connection: IrcConnection, user: ChatUser, text: string, tags: ClientTags | null): Promise<void> {
  if (connection.caps.has("echo-message")) connection.echo(connection.context.core.newMessage(user, service, "privmsg", text, tags));
  return runService(service, connection, user, text);
}

/**
 * Sends one message to one target (a channel, a STATUSMSG target or a nick) and answers
 * the sender: an error, RPL_AWAY, the echo. Also the end of a multiline batch.
 */
export function sendMessage(kind: MessageKind, command: string, connection: IrcConnection, user: ChatUser, target: string, body: string, tags: ClientTags | null): Promise<void> | undefined {
  const sending = send(kind, command, connection, user, target, body, tags);
  if (!sending) return undefined;
  // A labelled command must finish before its replies are labelled; others are pipelined,
  // so storing one message never holds back the client's next line.
  return connection.labelled ? sending : connection.pipeline(sending, MAX_MESSAGES_IN_FLIGHT);
}

/** The RPL_AWAY text for a message kept for an account that is offline. */
const OFFLINE_AWAY_TEXT = "Not connected; your message is kept and will be shown when they next log in";

/** Messages of one client being stored at once; more, and the client's next lines wait. */
const MAX_MESSAGES_IN_FLIGHT = 64;

/** A STATUSMSG target (`@#chan`, `+#chan`, `@+#chan`): the channel and the lowest status it reaches. */
function statusTarget(target: string): { channel: string; minimum: MemberMode; prefix: string } | null {
  let i = 0;
  while (i < target.length && STATUSMSG.includes(target[i]!)) i++;
  if (i === 0 || target[i] !== "#") return null;
  const voice = target.slice(0, i).includes("+");
  return { channel: target.slice(i), minimum: voice ? "voice" : "op", prefix: voice ? "+" : "@" };
}

function send(kind: MessageKind, command: string, connection: IrcConnection, user: ChatUser, target: string, body: string, tags: ClientTags | null): Promise<void> | undefined {
  const status = statusTarget(target);
  const messaging = connection.context.messaging;
  const result = status
    ? messaging.sendToStatus(user, status.channel, status.minimum, status.prefix, kind, body, tags, connection.id)
    : messaging.send(user, target, kind, body, tags, connection.id);
  if (result instanceof Promise) return result.then((settled) => answerSender(kind, command, connection, user, target, settled));
  answerSender(kind, command, connection, user, target, result);
  return undefined;
}

/** A refusal to send to a secret channel from outside is "no such channel", as for one that does not exist. */
function concealed<R extends string>(connection: IrcConnection, user: ChatUser, target: string, reason: R): R | "no-such-channel" {
  if (reason !== "cannot-send") return reason;
  const channel = connection.context.core.findChannel(statusTarget(target)?.channel ?? target);
  return hiddenFrom(channel, user) ? "no-such-channel" : reason;
}

/** What the sender is told of its message: an error, RPL_AWAY, the echo. */
function answerSender(kind: MessageKind, command: string, connection: IrcConnection, user: ChatUser, target: string, result: SendResult): void {
  const quiet = kind === "notice";
  if (connection.closed) return;
  if (!result.ok) {
    if (result.reason === "unavailable") connection.serverLine("FAIL", command, "TEMPORARILY_UNAVAILABLE", target, "Message could not be stored, so it was not sent; try again later");
    else if (result.reason === "message-too-long") connection.serverLine("FAIL", command, "MESSAGE_TOO_LONG", target, `Message is longer than ${connection.context.core.limits.maxMessageBytes} bytes; it was not sent`);
    else if (!quiet) replyFailure(connection, concealed(connection, user, target, result.reason), target);
    return;
  }
  if (kind === "privmsg" && result.recipient?.away && result.recipient !== user) connection.numeric(RPL.AWAY, result.recipient.nick, result.recipient.away);
  // Kept for an account that is offline: say so, or the sender cannot tell it from a
  // message read at once. RPL_AWAY because every client shows it in the query window
  // beside the message (irssi, WeeChat, HexChat: "<nick> is away: …"), where a server
  // NOTICE lands in the status window; Ergo answers the same for an account with no
  // client connected. Never for NOTICE (RFC 2812: no automatic reply).
  if (kind === "privmsg" && result.offline) connection.numeric(RPL.AWAY, target, OFFLINE_AWAY_TEXT);
  // A message to oneself reaches this connection only as this echo (see IrcConnection.deliver).
  if (connection.caps.has("echo-message")) connection.echo(result.event);
}

function messageCommand(name: string, kind: MessageKind, help: string): RegisteredCommand {
  return {
    name,
    minParams: 0,
    when: "registered",
    help,
    run: (connection, user, params, message) => relay(kind, name, connection, user, params, message),
  };
}

export const privmsg = messageCommand("PRIVMSG", "privmsg", "PRIVMSG <target>[,<target>…] :<text> — talk to a channel or a user");
export const notice = messageCommand("NOTICE", "notice", "NOTICE <target>[,<target>…] :<text> — like PRIVMSG, never answered automatically");
export const tagmsg = messageCommand("TAGMSG", "tagmsg", "TAGMSG <target> — send only client tags (needs message-tags)");
