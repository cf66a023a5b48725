/** What the accounts domain needs from storage. The store implements these; core never imports the store. */

export interface Account {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly createdAt: number;
  readonly verifiedAt: number | null;
  readonly lastSeenAt: number | null;
}

export interface Credential {
  readonly kind: string;
  readonly value: string;
}

export interface AccountStore {
  create(name: string, folded: string, email: string | null, credentials: readonly Credential[], now: number): Promise<Account | "name-taken">;
  findByName(folded: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  credential(accountId: number, kind: string): Promise<string | undefined>;
  replaceCredentials(accountId: number, credentials: readonly Credential[], now: number): Promise<void>;
  touch(accountId: number, now: number): Promise<void>;
  delete(folded: string): Promise<boolean>;
}

export interface LoginFailure {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly lockedUntil: number | null;
}

export interface LoginFailureStore {
  get(keys: readonly string[]): Promise<Map<string, LoginFailure>>;
  put(key: string, failure: LoginFailure): Promise<void>;
  clear(key: string): Promise<void>;
}
