import type { ChatCore } from "./chat-core.js";
import type { Channel, FlagMode, ListEntry, ListMode } from "./channel.js";
import type { ChatUser } from "./user.js";
import type { AccountDirectory } from "./messaging.js";
import { directKey, type ConversationSummary } from "./history.js";
import { partyKey } from "./messaging.js";
import { entryMatches } from "./mask.js";
import { foldCase, isValidChannelName, isValidNick } from "./names.js";

/**
 * Who asks to read history. Every door describes its reader the same way: IRC
 * (and IRC over WebSocket) with the asking user, the HTTP API with the token's
 * account and no user.
 */
export interface HistoryReader {
  /** The reader's account, or null for a guest. */
  readonly account: string | null;
  /** The reader's live chat user on this node, or null when it reads without one (HTTP). */
  readonly user: ChatUser | null;
}

/** What the reader may read: the conversation's history key and the name to show it under. */
export interface HistoryGrant {
  readonly ok: true;
  readonly kind: "channel" | "direct";
  /** The key history is stored under (folded channel, or "@a b" for a direct conversation). */
  readonly key: string;
}

/**
 * Why not. A channel the reader may not read answers exactly like one that does
 * not exist ("no-such-channel"), so asking reveals nothing about closed channels.
 */
export interface HistoryRefusal {
  readonly ok: false;
  readonly reason: "invalid-target" | "no-such-channel" | "needs-account";
}

export type HistoryAccess = HistoryGrant | HistoryRefusal;

/**
 * What the history rule asks about names: which are accounts' now, and which were (a
 * deleted account's name is retired; its correspondents keep their conversations with it).
 */
export interface NameDirectory extends AccountDirectory {
  retired(name: string): Promise<boolean>;
}

const refuse = (reason: HistoryRefusal["reason"]): HistoryRefusal => ({ ok: false, reason });

/**
 * The one rule for reading history, whichever door asks (docs/accounts.md, "Who
 * may read history"):
 *
 * - **Channels.** Anyone in the channel now may read all of it (an account is in
 *   it when any of its users is). Without being in it, only a logged-in account,
 *   and only what it could join freely right now: a live channel that is neither
 *   secret (+s), invite-only (+i) nor keyed (+k) and that does not ban the
 *   account; or a registered channel nobody is in, under the same test on its
 *   registered modes. A registered channel's founder may always read it (they may
 *   always join it). A channel that exists neither live nor registered cannot be
 *   read. Guests must be in a channel to read it.
 * - **Direct messages.** Only a logged-in account reads, and only its own
 *   conversations: the key always holds the reader's account. The other side is
 *   named by nick or account (otherParty).
 */
export async function historyAccess(core: ChatCore, accounts: NameDirectory, reader: HistoryReader, target: string): Promise<HistoryAccess> {
  if (target.startsWith("#")) {
    if (!isValidChannelName(target, core.limits.channelLength)) return refuse("invalid-target");
    const key = readableChannel(core, reader, target);
    return key === null ? refuse("no-such-channel") : { ok: true, kind: "channel", key };
  }
  if (!isValidNick(target, core.limits.nickLength)) return refuse("invalid-target");
  // A nick can change hands, an account cannot: direct history is for account holders only.
  if (reader.account === null) return refuse("needs-account");
  return { ok: true, kind: "direct", key: directKey(partyKey(reader.account, ""), await otherParty(core, accounts, target)) };
}

/**
 * The other side of the direct conversation `name` names, as its party key: the account of
 * the user online under that nick; else the account of that name; else a guest online under
 * that nick; else the deleted account of that name; else a guest of that nick (a guest's
 * messages with an account holder are kept for the account holder). A deleted account's name
 * stays free for guests: while one holds it, the name means that guest, as live chat with it
 * does; once the nick is free again it means the deleted account's conversation, which its
 * correspondents keep.
 */
async function otherParty(core: ChatCore, accounts: NameDirectory, name: string): Promise<string> {
  const online = core.findUser(name);
  if (online && online.account !== null) return partyKey(online.account, name);
  if (await accounts.exists(name)) return partyKey(name, name);
  if (!online && (await accounts.retired(name))) return partyKey(name, name);
  return partyKey(null, name);
}

/**
 * The name under which `account` opens its direct conversation `key` now (the other side's
 * account, or a guest's nick), or null when that name opens another conversation now: a
 * guest's whose nick is an account's (or a deleted account's nobody holds), a deleted
 * account's while someone holds its name. Two conversations never share a name this way.
 */
export async function directConversationName(core: ChatCore, accounts: NameDirectory, account: string, key: string): Promise<string | null> {
  const mine = partyKey(account, "");
  const other = key.slice(1).split(" ").find((party) => party !== mine) ?? mine;
  const guest = other.startsWith("~");
  const name = guest ? other.slice(1) : other;
  // An account's side is an account's name or a retired one: with nobody online under it, otherParty gives it back.
  if (!guest && !core.findUser(name)) return name;
  return (await otherParty(core, accounts, name)) === other ? name : null;
}

/**
 * The conversations `fetch(n)` finds (its first `n`, newest first), each with the name that
 * opens it for `account` now (directConversationName; a channel by its name). A direct
 * conversation no name opens now is left out, and later ones are fetched in its place, so
 * that up to `limit` are named: what lists conversations (CHATHISTORY TARGETS) lists each
 * under the name that reads it, never two under one name.
 */
export async function namedConversations(
  core: ChatCore,
  accounts: NameDirectory,
  account: string | null,
  limit: number,
  fetch: (count: number) => Promise<ConversationSummary[]>,
): Promise<Array<ConversationSummary & { readonly name: string }>> {
  // Asked once per conversation, however many times it is fetched.
  const names = new Map<string, string | null>();
  const nameOf = async (key: string): Promise<string | null> => {
    if (!names.has(key)) names.set(key, account === null ? null : await directConversationName(core, accounts, account, key));
    return names.get(key) ?? null;
  };
  for (let count = limit; ; count *= 2) {
    const found = await fetch(count);
    const named: Array<ConversationSummary & { readonly name: string }> = [];
    for (const conversation of found) {
      const name = conversation.target.startsWith("@") ? await nameOf(conversation.target) : conversation.targetDisplay;
      if (name !== null) named.push({ ...conversation, name });
      if (named.length === limit) return named;
    }
    if (found.length < count) return named;
  }
}

/** The hostmasks a channel's bans are matched against for one reader, worked out once when first needed. */
export type ReaderMasks = () => readonly string[];

/**
 * The history key of channel `name` if `reader` may read it, else null. `masks` lets
 * a caller that asks about many channels for one reader (search) share that work.
 */
export function readableChannel(core: ChatCore, reader: HistoryReader, name: string, masks: ReaderMasks = readerMasks(core, reader)): string | null {
  const live = core.findChannel(name);
  const registration = core.registry?.get(name);
  if (live && isMember(live, reader)) return live.folded;
  if (reader.account === null) return null;
  const account = foldCase(reader.account);
  if (registration?.founder === account) return foldCase(registration.name);
  if (live) return isOpen(live.flags, live.key) && !bansReader(live.lists, masks(), account) ? live.folded : null;
  // An empty registered channel keeps its bans too (channel-registry.ts): they keep the banned out of its history as well.
  if (registration) return isOpen(new Set(registration.flags), registration.key) && !bansReader(registration.lists, masks(), account) ? foldCase(registration.name) : null;
  return null;
}

function isMember(channel: Channel, reader: HistoryReader): boolean {
  if (reader.user && channel.members.has(reader.user)) return true;
  if (reader.account === null) return false;
  const account = foldCase(reader.account);
  for (const member of channel.members.keys()) if (member.account !== null && foldCase(member.account) === account) return true;
  return false;
}

/** Whether anyone may join it without an invitation or a key, and nothing hides it. */
function isOpen(flags: ReadonlySet<FlagMode>, key: string | null): boolean {
  return !flags.has("secret") && !flags.has("invite-only") && key === null;
}

/**
 * What bans are matched against for a logged-in reader: the hostmasks of the
 * account's live users, or the account name as a nick (`name!*@*`) when it reads
 * without one.
 */
export function readerMasks(core: ChatCore, reader: HistoryReader): ReaderMasks {
  let masks: string[] | null = null;
  return () => {
    if (masks !== null) return masks;
    const account = reader.account === null ? null : foldCase(reader.account);
    masks = reader.user ? [reader.user.hostmask] : [];
    for (const user of core.users()) if (user !== reader.user && user.account !== null && foldCase(user.account) === account) masks.push(user.hostmask);
    if (masks.length === 0 && account !== null) masks.push(`${account}!*@*`);
    return masks;
  };
}

/**
 * Whether the channel's bans keep the reader out: a ban (without an exception) matching any
 * of its masks, or its account (`a:` extbans, as JOIN matches them).
 */
function bansReader(lists: Readonly<Record<ListMode, readonly ListEntry[]>>, masks: readonly string[], account: string): boolean {
  const { ban, exception } = lists;
  return masks.some((hostmask) => {
    const reader = { hostmask, account };
    return ban.some((e) => entryMatches(e.mask, reader)) && !exception.some((e) => entryMatches(e.mask, reader));
  });
}
