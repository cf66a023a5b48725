/** What the accounts domain needs from storage. The store implements these; core never imports the store. */

export interface Account {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly createdAt: number;
  readonly verifiedAt: number | null;
  readonly lastSeenAt: number | null;
  /** The account's own choice, or null for the server's default. */
  readonly multiclient: boolean | null;
  readonly alwaysOn: boolean | null;
  /**
   * How many times the password was changed, when this record was read: a session keeps the
   * record of its login, and one older than the account's present count logged in with a
   * password that is no longer the account's (see AccountSessions).
   */
  readonly credentialsVersion: number;
}

export type AccountSetting = "multiclient" | "alwaysOn";

export interface Credential {
  readonly kind: string;
  readonly value: string;
}

export interface AccountStore {
  /** "name-retired": a deleted account had the name (see delete). */
  create(name: string, folded: string, email: string | null, credentials: readonly Credential[], now: number): Promise<Account | "name-taken" | "name-retired">;
  findByName(folded: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  /** The present credentialsVersion of each of these folded names that is an account now (the others were deleted). */
  credentialsVersions(folded: readonly string[]): Promise<Map<string, number>>;
  list(): Promise<Account[]>;
  credential(accountId: number, kind: string): Promise<string | undefined>;
  /**
   * Replaces the credentials of these kinds; with `unlessChanged`, only while the stored
   * credential of that kind still holds that value (otherwise nothing changes).
   */
  replaceCredentials(accountId: number, credentials: readonly Credential[], now: number, unlessChanged?: Credential): Promise<void>;
  /**
   * A new password: replaces the credentials of these kinds and counts one more change of the
   * account's credentialsVersion, together; returns the new count. (replaceCredentials leaves
   * the count: a rehash of the same password ends no session.)
   */
  changePassword(accountId: number, credentials: readonly Credential[], now: number): Promise<number>;
  /**
   * Sets when the account was last seen to `now`, unless it is already later: several
   * nodes (and a connection's end racing a periodic mark) write it, and it only moves forward.
   */
  touch(accountId: number, now: number): Promise<void>;
  /** touch, for each of these folded names that is an account's, in as few statements as may be. */
  touchMany(folded: readonly string[], now: number): Promise<void>;
  setSetting(accountId: number, setting: AccountSetting, value: boolean | null): Promise<void>;
  /** Deletes the account and retires its name: what is kept under the name (files, direct history, shares) never passes to a new account. */
  delete(folded: string, now: number): Promise<boolean>;
  /** Whether a deleted account had this folded name (delete retired it). */
  isRetired(folded: string): Promise<boolean>;
}

export interface LoginFailure {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly lockedUntil: number | null;
}

/** One failure to count: the row's count is kept only while locked or not older than forgetBefore. */
export interface FailureCount {
  readonly now: number;
  readonly forgetBefore: number;
  /** The count at which the row is locked until lockUntil (at that count and above). */
  readonly lockAt: number;
  readonly lockUntil: number;
}

/** The account's next slot: it starts at the later of now and the slot taken before. */
export interface SlotRequest {
  readonly now: number;
  readonly forgetBefore: number;
  /** Slots are this far apart (whole milliseconds). */
  readonly intervalMs: number;
  /** Take nothing when the slot would start after this (null: take it whenever it starts). */
  readonly latestStart: number | null;
}

export interface LoginFailureStore {
  get(keys: readonly string[]): Promise<Map<string, LoginFailure>>;
  /** Adds one failure to the key's count in one statement (so counts from several nodes add up); returns the new count. */
  countFailure(key: string, count: FailureCount): Promise<number>;
  /** Takes the key's next slot in one statement; returns when it starts, or null when that is after latestStart. */
  takeSlot(key: string, request: SlotRequest): Promise<number | null>;
  clear(key: string): Promise<void>;
}

/** One refresh token as stored: only its hash, never the token. */
export interface RefreshTokenRecord {
  readonly accountId: number;
  readonly family: string;
  readonly tokenHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** What claiming a presented refresh token found. */
export type RefreshClaim =
  /** It was live; it is now marked rotated and its successor stored. */
  | { readonly status: "rotated"; readonly accountId: number; readonly family: string }
  /** It had been rotated before: someone replays an old token. */
  | { readonly status: "reused"; readonly accountId: number; readonly family: string }
  /** Unknown, expired or revoked. */
  | { readonly status: "dead" };

export interface RefreshTokenStore {
  insert(record: RefreshTokenRecord): Promise<void>;
  /**
   * Marks the live token with `tokenHash` rotated and stores its successor in the same
   * family, atomically: of two concurrent claims of one token exactly one rotates it.
   */
  rotate(tokenHash: string, successor: { readonly tokenHash: string; readonly expiresAt: number }, now: number): Promise<RefreshClaim>;
  /** The family of a stored token (live or not), or undefined. */
  familyOf(tokenHash: string): Promise<{ readonly accountId: number; readonly family: string } | undefined>;
  /** Revokes every token of a family not yet revoked; returns how many. */
  revokeFamily(family: string, now: number): Promise<number>;
  /** Revokes every token of an account not yet revoked; returns how many. */
  revokeAccount(accountId: number, now: number): Promise<number>;
  /** Deletes tokens past their expiry (a replayed expired token is refused as unknown then). */
  deleteExpired(now: number): Promise<number>;
}

/**
 * Accounts created per address key in a recent window, shared by every node: what
 * `accounts.registrationsPerAddressPerHour` counts.
 */
export interface RegistrationRecordStore {
  /** Records one registration (being made) from `address` at `at`. */
  add(id: string, address: string, at: number): Promise<void>;
  /** When each registration from `address` at or after `from` was recorded, oldest first, with its id. */
  since(address: string, from: number): Promise<Array<{ id: string; at: number }>>;
  /** Takes one record back (the registration it stood for failed or was refused). */
  remove(id: string): Promise<void>;
  /** Deletes every record older than `before`, from every address. */
  forgetBefore(before: number): Promise<void>;
}
