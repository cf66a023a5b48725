import type { Session } from "./session.js";
import type { Channel } from "./channel.js";
import { foldCase } from "./names.js";

/** What a user in no channel, or with no session on another node, reads: one shared empty map and set, not one each. */
const NO_CHANNELS: ReadonlyMap<string, Channel> = new Map();
const NO_NODES: ReadonlySet<string> = new Set();

/** Who sent something, frozen at the moment it was sent (nick changes later do not rewrite it). */
export interface Origin {
  /** The user's id: lets a session recognise events of its own user. */
  readonly id: string;
  readonly nick: string;
  readonly username: string;
  readonly hostname: string;
  readonly account: string | null;
  /** User mode +B (IRCv3 bot-mode): adapters may tag what a bot sends. */
  readonly bot?: boolean;
}

/**
 * One person in the chat on this node: a nick, channels and an away state, reached
 * through any number of sessions (one for a guest; several for an account with
 * multiclient; none while always-on keeps it present).
 */
export class ChatUser {
  nick: string;
  folded: string;
  away: string | null = null;
  account: string | null = null;
  isOperator = false;
  /**
   * The operator block (irc.operators[].name) OPER was made with on this node; null when
   * not an operator, or when the status came from another node (see operatorFromHost).
   */
  operatorBlock: string | null = null;
  invisible = false;
  /** User mode +w: receives WALLOPS. */
  wallops = false;
  /** User mode +B (IRCv3 bot-mode); change it with `setBot`, which renews the origin. */
  bot = false;
  lastActive: number;
  /** The channels it is in, by folded name; null (read as empty) while in none. */
  #channels: Map<string, Channel> | null = null;
  /** The channels whose invite set holds it; null while none (most users are never invited). */
  #invitedTo: Set<Channel> | null = null;
  /**
   * The sessions: none, one (nearly every user: no Set allocated for it), or a Set
   * from the second on. Read through `sessionCount`, `onlySession` and `sessions()`.
   */
  #sessions: Session | Set<Session> | null = null;
  /** Whether further sessions logging in to the same account may attach to this user. */
  multiclient = false;
  /** Stays present with no session (always-on). */
  alwaysOn = false;
  /** When the last session of an always-on user ended; null while one is attached. */
  detachedAt: number | null = null;
  /** The away state was set by the server when the last session ended, not by the user. */
  autoAway = false;
  /**
   * When this user must have logged in to the account that owns its nick, or lose the
   * nick (nick enforcement, irc/accounts/nick-ownership.ts); 0 = no deadline. Kept
   * here, not on a connection, so that it outlives the connection that took the nick.
   */
  nickDeadline = 0;
  #origin: Origin | null = null;
  /** In a cluster: the node this user is connected to, when it is not this one (a replica). */
  node: string | null = null;
  /** In a cluster: other nodes holding sessions of this user (multiclient across nodes); null while none. */
  #otherNodes: Set<string> | null = null;

  constructor(
    readonly id: string,
    nick: string,
    readonly username: string,
    public realname: string,
    /** Shown in place of a host name: the unmapped IP address. */
    readonly hostname: string,
    /** The client's IP address (unmapped). */
    readonly address: string,
    readonly secure: boolean,
    readonly signedOnAt: number,
  ) {
    this.nick = nick;
    this.folded = foldCase(nick);
    this.lastActive = signedOnAt;
  }

  /** The channels this user is in, by folded name (change with joinedChannel / leftChannel). */
  get channels(): ReadonlyMap<string, Channel> {
    return this.#channels ?? NO_CHANNELS;
  }

  joinedChannel(channel: Channel): void {
    (this.#channels ??= new Map()).set(channel.folded, channel);
  }

  leftChannel(folded: string): void {
    const channels = this.#channels;
    if (channels?.delete(folded) && channels.size === 0) this.#channels = null;
  }

  /** Invited into `channel` (its invite set now holds this user's id). */
  invitedInto(channel: Channel): void {
    (this.#invitedTo ??= new Set()).add(channel);
  }

  /**
   * Takes this user out of every invite set it is in (it quits): one kept would never be
   * consumed (ids are not reused), and a long-lived +i channel would gather one per guest.
   * Found through the user rather than by walking every channel: a node lost in a cluster
   * quits thousands of users at once.
   */
  forgetInvitations(): void {
    if (this.#invitedTo === null) return;
    for (const channel of this.#invitedTo) channel.invited.delete(this.id);
    this.#invitedTo = null;
  }

  leftAllChannels(): void {
    this.#channels = null;
  }

  /** In a cluster: the other nodes holding sessions of this user. */
  get otherNodes(): ReadonlySet<string> {
    return this.#otherNodes ?? NO_NODES;
  }

  addOtherNode(node: string): void {
    (this.#otherNodes ??= new Set()).add(node);
  }

  /** Returns whether `node` was one of them. */
  removeOtherNode(node: string): boolean {
    const nodes = this.#otherNodes;
    if (!nodes?.delete(node)) return false;
    if (nodes.size === 0) this.#otherNodes = null;
    return true;
  }

  get hostmask(): string {
    return `${this.nick}!${this.username}@${this.hostname}`;
  }

  /** Shared by every event this user originates until the nick or account changes. */
  get origin(): Origin {
    this.#origin ??= this.#makeOrigin();
    return this.#origin;
  }

  /**
   * The origin without keeping it: for one-off events (a MONITOR arrival at sign-on),
   * so an idle connection does not carry a cached origin it may never use.
   */
  originOnce(): Origin {
    return this.#origin ?? this.#makeOrigin();
  }

  #makeOrigin(): Origin {
    return Object.freeze({ id: this.id, nick: this.nick, username: this.username, hostname: this.hostname, account: this.account, ...(this.bot && { bot: true }) });
  }

  rename(nick: string): void {
    const folded = foldCase(nick);
    // The deadline was for the nick being left; a change of case keeps it running.
    if (folded !== this.folded) this.nickDeadline = 0;
    this.nick = nick;
    this.folded = folded;
    this.#origin = null;
  }

  setAccount(account: string | null): void {
    this.account = account;
    this.#origin = null;
  }

  setBot(bot: boolean): void {
    this.bot = bot;
    this.#origin = null;
  }

  get sessionCount(): number {
    const s = this.#sessions;
    return s === null ? 0 : s instanceof Set ? s.size : 1;
  }

  /** The session when there is exactly one (the delivery fast path), else null. */
  get onlySession(): Session | null {
    const s = this.#sessions;
    return s === null || s instanceof Set ? null : s;
  }

  sessions(): Iterable<Session> {
    const s = this.#sessions;
    return s === null ? [] : s instanceof Set ? s : [s];
  }

  addSession(session: Session): void {
    const s = this.#sessions;
    if (s === null) this.#sessions = session;
    else if (s instanceof Set) s.add(session);
    else if (s !== session) this.#sessions = new Set([s, session]);
  }

  /** Returns whether the session was one of this user's. */
  removeSession(session: Session): boolean {
    const s = this.#sessions;
    if (s === session) {
      this.#sessions = null;
      return true;
    }
    if (!(s instanceof Set) || !s.delete(session)) return false;
    if (s.size === 1) this.#sessions = s.values().next().value ?? null;
    return true;
  }
}
