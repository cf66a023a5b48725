import type { Session } from "./session.js";
import type { Channel } from "./channel.js";
import { foldCase } from "./names.js";

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
  invisible = false;
  /** User mode +w: receives WALLOPS. */
  wallops = false;
  /** User mode +B (IRCv3 bot-mode); change it with `setBot`, which renews the origin. */
  bot = false;
  lastActive: number;
  readonly channels = new Map<string, Channel>();
  readonly sessions = new Set<Session>();
  /** Whether further sessions logging in to the same account may attach to this user. */
  multiclient = false;
  /** Stays present with no session (always-on). */
  alwaysOn = false;
  /** When the last session of an always-on user ended; null while one is attached. */
  detachedAt: number | null = null;
  /** The away state was set by the server when the last session ended, not by the user. */
  autoAway = false;
  #origin: Origin | null = null;

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

  get hostmask(): string {
    return `${this.nick}!${this.username}@${this.hostname}`;
  }

  /** Shared by every event this user originates until the nick or account changes. */
  get origin(): Origin {
    this.#origin ??= Object.freeze({ id: this.id, nick: this.nick, username: this.username, hostname: this.hostname, account: this.account, ...(this.bot && { bot: true }) });
    return this.#origin;
  }

  rename(nick: string): void {
    this.nick = nick;
    this.folded = foldCase(nick);
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
}
