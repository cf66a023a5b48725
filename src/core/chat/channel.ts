import type { ChatUser } from "./user.js";
import { foldCase } from "./names.js";
import { entryMatches } from "./mask.js";
import { CREATION_STAMP, type Stamp } from "./replication.js";

export type FlagMode = "no-external" | "topic-lock" | "moderated" | "invite-only" | "secret";
export type MemberMode = "op" | "voice";
export type ListMode = "ban" | "exception" | "invite-exception";

export interface Membership {
  op: boolean;
  voice: boolean;
  /** In a cluster: when op last changed, and when voice did (each mode's newest change wins on every node). */
  opStamp?: Stamp;
  voiceStamp?: Stamp;
}

export interface ListEntry {
  readonly mask: string;
  readonly setBy: string;
  readonly setAt: number;
}

export interface Topic {
  readonly text: string;
  readonly setBy: string;
  readonly setAt: number;
}

export class Channel {
  readonly folded: string;
  readonly members = new Map<ChatUser, Membership>();
  readonly flags = new Set<FlagMode>(["no-external", "topic-lock"]);
  key: string | null = null;
  limit: number | null = null;
  topic: Topic | null = null;
  readonly lists: Record<ListMode, ListEntry[]> = { ban: [], exception: [], "invite-exception": [] };
  /**
   * The users (ids) invited while the channel is +i; consumed on join. By user, not nick:
   * an invitation follows its user through a nick change and is nobody's once it quits,
   * where one kept by nick went to whoever took the nick next.
   */
  readonly invited = new Set<string>();
  /** When the topic, and the modes, last changed (in a cluster the newest change wins on every node). */
  topicStamp: Stamp = CREATION_STAMP;
  modesStamp: Stamp = CREATION_STAMP;
  /**
   * When each flag, the key and the limit last changed (keys "flag:<mode>", "key", "limit"),
   * made only in a cluster: a change from another node applies to one of them only when it is
   * newer, so two nodes changing different modes at once both keep both (see applyModeChanges).
   */
  fieldStamps: Map<string, Stamp> | null = null;

  constructor(
    readonly name: string,
    readonly createdAt: number,
  ) {
    this.folded = foldCase(name);
  }

  has(user: ChatUser): boolean {
    return this.members.has(user);
  }

  get memberCount(): number {
    return this.members.size;
  }

  membership(user: ChatUser): Membership | undefined {
    return this.members.get(user);
  }

  isBanned(user: ChatUser): boolean {
    return this.lists.ban.some((e) => entryMatches(e.mask, user)) && !this.lists.exception.some((e) => entryMatches(e.mask, user));
  }

  isInviteExempt(user: ChatUser): boolean {
    return this.lists["invite-exception"].some((e) => entryMatches(e.mask, user));
  }

  /**
   * Whether `user` may speak here under +n, +m and bans. An outsider (under -n) is held to
   * +m and the bans like a member without voice (RFC 2812 4.2.3; Ergo's CanSpeak, InspIRCd).
   */
  canSend(user: ChatUser): boolean {
    const membership = this.members.get(user);
    if (!membership && this.flags.has("no-external")) return false;
    if (membership?.op || membership?.voice) return true;
    if (this.flags.has("moderated")) return false;
    return !this.isBanned(user);
  }

  isOp(user: ChatUser): boolean {
    return this.members.get(user)?.op === true;
  }
}
