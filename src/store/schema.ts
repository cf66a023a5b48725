import type { Generated } from "kysely";

/** Milliseconds since the epoch. Stored as BIGINT; read back as a JS number. */
type Millis = number;

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  /** The name case-folded: the unique key accounts are found by. */
  name_folded: string;
  email: string | null;
  created_at: Millis;
  /** Null until the account is verified (always set for accounts made by the CLI or without email verification). */
  verified_at: Millis | null;
  /** When the account last logged in or was last online, for offline message delivery. */
  last_seen_at: Millis | null;
  /** 1 = on, 0 = off, null = the server's default (accounts.multiclient). */
  multiclient: number | null;
  /** 1 = on, 0 = off, null = the server's default (accounts.alwaysOn). */
  always_on: number | null;
  /** How many times the password was changed: sessions logged in under a smaller count end (AccountSessions). */
  credentials_version: Generated<number>;
}

export interface AlwaysOnUsersTable {
  account_id: number;
  nick: string;
  username: string;
  hostname: string;
  realname: string;
  /** JSON array of the user's channels, each `{ name, op, voice }` (before 0019 a channel name alone: no status). */
  channels: string;
  /** The user's own away message (0019); null when it set none. */
  away: string | null;
  /** Its user modes kept across restarts, as their IRC letters (0019): `B` bot, `i` invisible, `w` wallops. */
  modes: string;
  detached_at: Millis | null;
}

export interface ReadMarkersTable {
  account_id: number;
  target: string;
  read_at: Millis;
}

export interface CredentialsTable {
  id: Generated<number>;
  account_id: number;
  /** "argon2id" (PHC string), "scram-sha-256" (verifier), "certfp" (TLS client certificate fingerprint). */
  kind: string;
  value: string;
  created_at: Millis;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  account_id: number;
  /** Tokens rotated from one login share a family; reuse of a rotated token (past the grace period) revokes the family. */
  family: string;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  token_hash: string;
  created_at: Millis;
  expires_at: Millis;
  rotated_at: Millis | null;
  /**
   * SHA-256 of the token this one was last exchanged for (a reuse within the grace
   * period exchanges it again, retiring the previous successor). Null while live, and
   * for a successor retired that way: presenting such a token is always a reuse.
   */
  successor_hash: string | null;
  revoked_at: Millis | null;
}

export interface ChannelsTable {
  id: Generated<number>;
  name: string;
  name_folded: string;
  founder_account_id: number | null;
  topic: string | null;
  topic_set_by: string | null;
  topic_set_at: Millis | null;
  /** Flag modes kept across restarts, comma-separated core names, e.g. "no-external,topic-lock". */
  modes: string;
  channel_key: string | null;
  user_limit: number | null;
  created_at: Millis;
  /** The +b, +e and +I lists as JSON (`{"ban":[{"mask","setBy","setAt"}],…}`), "" for none. */
  mode_lists: Generated<string>;
}

export interface MessagesTable {
  id: Generated<number>;
  msgid: string;
  /** "privmsg" | "notice". */
  kind: string;
  /** Folded channel name, or "@" + the two folded account names in order for a direct conversation. */
  target: string;
  sender_nick: string;
  sender_mask: string;
  sender_account: string | null;
  /** For direct messages: the recipient account (folded); null for channels. */
  recipient_account: string | null;
  /** The target as the sender wrote it (channel name or nick). */
  target_display: string;
  time: Millis;
  text: string;
  /** Client-only tags as JSON, or null. */
  tags: string | null;
}

export interface LoginFailuresTable {
  /** "account:<folded name>" or "address:<IPv4 or IPv6 /64>". */
  key: string;
  failures: number;
  last_failure_at: Millis;
  locked_until: Millis | null;
}

/** One account created (or being created) from an address; see migration 0008. */
export interface RegistrationAttemptsTable {
  id: string;
  /** An IPv4 address, or an IPv6 /64. */
  address: string;
  created_at: Millis;
}

/** The name of an account that was deleted: it is never registered again; see migration 0012. */
export interface DeletedAccountNamesTable {
  name_folded: string;
  deleted_at: Millis;
}

export interface ServerSecretsTable {
  /** What the secret is for, e.g. "scram-unknown-salt" (SCRAM_SECRET in server.ts). */
  name: string;
  /** The secret's bytes, base64. */
  value: string;
}

export interface SharesTable {
  /** 128 random bits, base64url: the secret part of the link. */
  id: string;
  owner_account_id: number;
  /** The file's path in the owner's space. */
  path: string;
  created_at: Millis;
}

export interface ShareAudienceTable {
  share_id: string;
  /** A folded channel name, or a direct-conversation key "@a b" (history's keys). */
  conversation: string;
  added_at: Millis;
}

export interface PushSubscriptionsTable {
  account_id: number;
  /** The push service URL of one device (a capability: never logged). */
  endpoint: string;
  /** base64url P-256 public key and auth secret of the device (RFC 8291). */
  p256dh: string;
  auth: string;
  created_at: Millis;
  last_used_at: Millis | null;
}

export interface FileUsageTable {
  /** The account's folded name (its folder under <dataDir>/files). */
  account: string;
  bytes: number;
  files: number;
  /** Bumped by every reservation and change; a measurement replaces the figures only at the version it started from. */
  version: Generated<number>;
}

export interface FileReservationsTable {
  id: string;
  /** The account's folded name. */
  account: string;
  /** Bytes the upload may add beyond what it replaces. */
  bytes: number;
  /** 1 when the upload makes a new file, else 0. */
  files: number;
  /** The node holding it. */
  node: string;
  /** Stops counting at this time unless renewed (a node that died mid-upload). */
  expires_at: Millis;
  /** The upload's temporary file, relative to the account's folder; null when it writes in place. */
  temporary: string | null;
}

export interface Database {
  accounts: AccountsTable;
  credentials: CredentialsTable;
  refresh_tokens: RefreshTokensTable;
  channels: ChannelsTable;
  messages: MessagesTable;
  login_failures: LoginFailuresTable;
  always_on_users: AlwaysOnUsersTable;
  read_markers: ReadMarkersTable;
  server_secrets: ServerSecretsTable;
  shares: SharesTable;
  share_audience: ShareAudienceTable;
  push_subscriptions: PushSubscriptionsTable;
  file_usage: FileUsageTable;
  file_reservations: FileReservationsTable;
  registration_attempts: RegistrationAttemptsTable;
  deleted_account_names: DeletedAccountNamesTable;
}
