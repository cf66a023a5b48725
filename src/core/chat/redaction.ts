import type { ChatCore } from "./chat-core.js";
import type { ChatUser } from "./user.js";
import type { HistoryStore, StoredMessage } from "./history.js";
import type { Channel } from "./channel.js";
import type { RedactEvent } from "./events.js";
import { historyAccess, type NameDirectory } from "./history-access.js";
import { partyKey } from "./messaging.js";
import { foldCase } from "./names.js";

export type RedactFailureReason =
  /** The reader may not read that conversation (or it is not one): nothing in it can be removed. */
  | "invalid-target"
  /** The message is there, but it is not the user's to remove. */
  | "forbidden"
  /** No such message in that conversation (or history is off, so nobody can tell whose it was). */
  | "unknown-msgid"
  /** History could not be read or written. */
  | "unavailable";

export type RedactResult = { readonly ok: true; readonly event: RedactEvent } | { readonly ok: false; readonly reason: RedactFailureReason };

const refuse = (reason: RedactFailureReason): RedactResult => ({ ok: false, reason });

/**
 * The conversation `target` names for `user`, under the read rule; an IRC operator
 * moderates every channel, read or not (the server is theirs). Null when it cannot.
 */
async function readableConversation(core: ChatCore, accounts: NameDirectory, user: ChatUser, target: string): Promise<{ kind: "channel" | "direct"; key: string } | null> {
  const access = await historyAccess(core, accounts, { account: user.account, user }, target);
  if (access.ok) return access;
  if (!user.isOperator || !target.startsWith("#") || access.reason === "invalid-target") return null;
  return core.findChannel(target) || core.registry?.get(target) ? { kind: "channel", key: foldCase(target) } : null;
}

/**
 * Whether `user` removes `message` as an operator of `channel`. An unregistered channel
 * ends when its last member leaves, and whoever creates it again gets +o: they run the
 * new channel, not what was said in the old one under the same name, so only messages
 * from the channel's current life (its creation on this node, as in 329) are theirs to
 * remove. A registered channel is one channel across lives (ChanServ keeps it).
 */
function moderatesMessage(core: ChatCore, channel: Channel, user: ChatUser, message: StoredMessage): boolean {
  if (!channel.isOp(user)) return false;
  return message.time >= channel.createdAt || core.registry?.get(channel.name) !== undefined;
}

/**
 * Removes a stored message (IRCv3 message-redaction) and tells its conversation.
 *
 * Who may: the account that sent it (from any of its sessions), a channel operator
 * for a message sent in that channel since it was created (moderatesMessage), an IRC
 * operator. The message is looked for only in the conversation `target` names, under
 * the one read rule (history-access.ts): a message of a conversation the user cannot
 * read is unknown, exactly like one that never existed (an IRC operator reaches every
 * channel). The row is deleted, so
 * CHATHISTORY and the HTTP API never show it again. Whose message it is can only be
 * told from history: with history off, nothing can be removed.
 */
export async function redactMessage(
  core: ChatCore,
  history: HistoryStore | null,
  accounts: NameDirectory,
  user: ChatUser,
  target: string,
  msgid: string,
  reason: string | null,
  fromSession: string | null,
): Promise<RedactResult> {
  if (history === null) return refuse("unknown-msgid");
  try {
    const access = await readableConversation(core, accounts, user, target);
    if (!access) return refuse("invalid-target");
    const message = await history.findMessage(access.key, msgid);
    if (!message) return refuse("unknown-msgid");
    const own = user.account !== null && message.senderAccount !== null && foldCase(message.senderAccount) === foldCase(user.account);
    const channel = access.kind === "channel" ? core.findChannel(target) : undefined;
    const chanop = channel !== undefined && moderatesMessage(core, channel, user, message);
    if (!own && !chanop && !user.isOperator) return refuse("forbidden");
    // Whoever deleted it first (two sessions at once) is the one that tells the others.
    if (!(await history.deleteMessage(access.key, msgid))) return refuse("unknown-msgid");
    core.removedMessages.notify(message);
    if (access.kind === "channel") return { ok: true, event: core.announceRedaction(user, { channel: access.key }, channel?.name ?? target, msgid, reason, fromSession) };
    // A direct conversation's key names both parties: accounts, or "~nick" for a guest (see partyKey).
    const parties = access.key.slice(1).split(" ");
    const mine = partyKey(user.account, user.nick);
    const other = parties.find((party) => party !== mine) ?? mine;
    const accountsOf = [mine, ...(other.startsWith("~") ? [] : [other])];
    const guestNick = other.startsWith("~") ? other.slice(1) : null;
    return { ok: true, event: core.announceRedaction(user, { accounts: accountsOf, guestNick }, target, msgid, reason, fromSession) };
  } catch {
    return refuse("unavailable");
  }
}
