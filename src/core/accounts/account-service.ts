import type { Logger } from "pino";
import { foldCase, isValidNick } from "../chat/names.js";
import { hashPassword, needsRehash, verifyPassword } from "../../auth/passwords.js";
import { checkNewPassword, passwordProblemText, type PasswordPolicy, type PasswordProblem } from "../../auth/password-policy.js";
import { encodeScramVerifier, makeScramVerifier } from "../../auth/scram.js";
import type { Account, AccountSetting, AccountStore, Credential, RegistrationRecordStore } from "./ports.js";
import { LoginGuard, type AdmitVerdict, type Attempt } from "./login-guard.js";
import { isReservedName } from "../reserved-names.js";
import { RegistrationLimit } from "./registration-limit.js";
import { TurnGate } from "../../turn-gate.js";

export interface AccountSettings {
  /** Account names follow the nick rules (an account owns the nick of the same name). */
  readonly nameLength: number;
  /** PBKDF2 iterations of the SCRAM-SHA-256 verifier; 0 = make none (SCRAM then unavailable). */
  readonly scramIterations: number;
  /** What every new password must be, whichever door sets it (config `auth.password`). */
  readonly password: PasswordPolicy;
  /** Whether network doors (IRC REGISTER, NickServ, HTTP) may create accounts; the CLI always may. */
  readonly selfRegistration: boolean;
  /** Accounts one address (IPv4, IPv6 /64) may create per hour through those doors; 0 = no limit. */
  readonly registrationsPerAddressPerHour: number;
}

/**
 * The nicks nick enforcement renames a guest to (src/irc/accounts/nick-ownership.ts: "Guest" and
 * digits), in any case: no account may have one, or a guest renamed to it would hold an account's nick.
 */
export const GUEST_NICK = /^guest[0-9]+$/i;

/**
 * Why a name cannot be a new account's: a service's name (src/core/reserved-names.ts), not a nick
 * under the nick rules (at the configured length), or a name nick enforcement gives guests.
 */
export type NameProblem = "reserved" | "nick-rules" | "guest-nick";

/** The longest e-mail address an account may have (RFC 5321's 256-octet path less its angle brackets). */
export const MAX_EMAIL_LENGTH = 254;

/**
 * An e-mail address as the HTTP API's schema takes one (`format: "email"`: the "full" rule of
 * ajv-formats, which Fastify applies), so that every door that takes an address (IRC REGISTER,
 * NickServ, HTTP) takes the same ones.
 */
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** Whether `email` may be an account's e-mail address: the HTTP schema's format and length (MAX_EMAIL_LENGTH). */
export function isValidEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email);
}

/** "name-retired": a deleted account had that name; it is never registered again (what was kept under it would pass on). */
export type RegisterFailure = "invalid-name" | "name-taken" | "name-retired" | PasswordProblem;
export type LoginFailureReason = "invalid-credentials" | "throttled";

/**
 * A login's outcome; a successful one carries the password hash it was checked against (or
 * the one it upgraded it to), for isCurrentCredential.
 */
export type LoginResult = { ok: true; account: Account; credential: string } | { ok: false; reason: LoginFailureReason; retryAfterSeconds?: number };
export type RegisterResult = { ok: true; account: Account } | { ok: false; reason: RegisterFailure };
/** Why a network door may not register at all: self-registration is off, or too many attempts or accounts from the address. */
export type SelfRegisterRefusal = { ok: false; reason: "disabled" } | { ok: false; reason: "throttled" | "address-limit"; retryAfterSeconds: number };

/**
 * Told after an account's password changed, whichever door changed it (IRC, HTTP, the CLI):
 * `account` as it now is (its new credentialsVersion), and the session that changed it, if one did.
 */
export type PasswordChangedListener = (account: Account, changedBy: ChangingSession | null) => Promise<void> | void;
/**
 * The logged-in session a password change came from (an IRC connection, by identity): it stays
 * logged in while the account's other sessions end (see AccountSessions).
 */
export type ChangingSession = object;
export type LoginOutcome = "ok" | "failed" | "throttled";
/**
 * Told of every login attempt's outcome (for metrics); must be cheap and must not throw.
 * `door` is the service, then the way in when there are several: "irc-sasl-scram",
 * "irc-pass", "ftp", "http" (the same name the logs carry).
 */
export type LoginListener = (door: string, outcome: LoginOutcome) => void;

/**
 * Looks an account up by name. No account name holds NUL (names follow the nick
 * rules) and PostgreSQL cannot even compare one, so such a name is simply unknown
 * on every dialect instead of a database error.
 */
function lookup(store: AccountStore, name: string): Promise<Account | undefined> {
  return name.includes("\u0000") ? Promise.resolve(undefined) : store.findByName(foldCase(name));
}

/**
 * Login attempts that begin per turn of the event loop (see TurnGate): a storm of logins
 * takes a few more turns to begin, and chat read between them is not held up by all of it.
 */
const LOGINS_BEGUN_PER_TURN = 2;

export const ARGON2ID = "argon2id";
export const SCRAM_SHA_256 = "scram-sha-256";

/** How far ahead of this node's clock another node's message time may move an account's last-seen mark (see markSeenMany). */
const MAX_CLOCK_LEAD_MS = 5000;

/**
 * Accounts shared by every service: registration, password login with the
 * shared brute-force guard, password changes and deletion. Protocol adapters
 * (IRC, HTTP, FTP, the CLI) call this; it never speaks their languages.
 */
export class AccountService {
  readonly #passwordChanged: PasswordChangedListener[] = [];
  readonly #deleted: Array<(folded: string) => void> = [];
  readonly #logins: LoginListener[] = [];
  readonly #registrations: RegistrationLimit | null;
  readonly #loginTurns = new TurnGate(LOGINS_BEGUN_PER_TURN);

  /**
   * `registrations` keeps the per-address count of `registrationsPerAddressPerHour`;
   * without one (harnesses testing other things) that limit is not applied.
   */
  constructor(
    private readonly store: AccountStore,
    readonly guard: LoginGuard,
    private settings: AccountSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    registrations: RegistrationRecordStore | null = null,
  ) {
    this.#registrations = registrations ? new RegistrationLimit(registrations, now) : null;
  }

  update(settings: AccountSettings): void {
    this.settings = settings;
  }

  /**
   * Registers what must follow every password change — ending the account's other
   * sessions, for one — without this service knowing who holds sessions.
   */
  /** Every outcome passes here: login(), and recordLogin/recordFailure that SASL and certificates use. */
  onLogin(listener: LoginListener): void {
    this.#logins.push(listener);
  }

  #loginOutcome(service: string, outcome: LoginOutcome): void {
    for (const listener of this.#logins) listener(service, outcome);
  }

  /** Told (with the folded name) when this process deletes an account; other processes' deletions are found by `gone`. */
  onDeleted(listener: (folded: string) => void): void {
    this.#deleted.push(listener);
  }

  /**
   * The present credentialsVersion of each of these folded names that is still an account: a
   * name missing was deleted (by another process or node), a larger count had its password changed.
   */
  credentialsVersions(folded: readonly string[]): Promise<Map<string, number>> {
    return folded.length === 0 ? Promise.resolve(new Map()) : this.store.credentialsVersions(folded);
  }

  onPasswordChanged(listener: PasswordChangedListener): void {
    this.#passwordChanged.push(listener);
  }

  /** Checks a new password against the configured policy; null = acceptable. */
  checkNewPassword(password: string): PasswordProblem | null {
    return checkNewPassword(password, this.settings.password);
  }

  /** The problem in words, with the configured limits. */
  passwordProblemText(problem: PasswordProblem): string {
    return passwordProblemText(problem, this.settings.password);
  }

  /** Whether `name` could name an account (a service's name or one outside the nick rules cannot). */
  isValidName(name: string): boolean {
    // Service names (src/core/reserved-names.ts): no account may pose as a service.
    if (isReservedName(name)) return false;
    return isValidNick(name, this.settings.nameLength);
  }

  /**
   * Why `name` cannot be registered, or null when it can: the rule of every door (register()
   * refuses these as "invalid-name"; nameProblemText says which in words).
   */
  nameProblem(name: string): NameProblem | null {
    if (isReservedName(name)) return "reserved";
    if (!isValidNick(name, this.settings.nameLength)) return "nick-rules";
    // A guest may be renamed to one at any time (nick enforcement): an account there would own its nick.
    if (GUEST_NICK.test(name)) return "guest-nick";
    return null;
  }

  /** Why `name` cannot be registered, in words (a sentence without its full stop), or null when it can. */
  nameProblemText(name: string): string | null {
    const problem = this.nameProblem(name);
    switch (problem) {
      case null:
        return null;
      case "reserved":
        return "That name is reserved for a service";
      case "guest-nick":
        return "Names of the form Guest followed by digits are given to guests when they are renamed, and cannot be registered";
      case "nick-rules":
        return `Account names follow the nick rules: at most ${this.settings.nameLength} characters, a letter or one of [ ] \\ \` _ ^ { | } first, then those, digits and '-'`;
    }
  }

  async #credentials(password: string): Promise<Credential[]> {
    const credentials: Credential[] = [{ kind: ARGON2ID, value: await hashPassword(password) }];
    if (this.settings.scramIterations > 0) {
      credentials.push({ kind: SCRAM_SHA_256, value: encodeScramVerifier(await makeScramVerifier(password, this.settings.scramIterations)) });
    }
    return credentials;
  }

  /**
   * Registration from a network door (self-registration): refused when the operator
   * turned it off, and limited per address (accounts.registrationsPerAddressPerHour).
   * A taken name is a failure against the address in the shared brute-force guard,
   * and a throttled address may not register: the "name taken" answer cannot be
   * turned into a fast way of listing accounts.
   */
  async registerFrom(name: string, password: string, email: string | null, address: string, service: string): Promise<RegisterResult | SelfRegisterRefusal> {
    if (!this.settings.selfRegistration) {
      this.log.info({ address, service }, "registration refused: self-registration is off");
      return { ok: false, reason: "disabled" };
    }
    const verdict = await this.guard.admit(null, address);
    if (!verdict.ok) {
      this.log.warn({ address, service, retryAfterSeconds: verdict.retryAfterSeconds }, "registration refused: too many failures");
      return { ok: false, reason: "throttled", retryAfterSeconds: verdict.retryAfterSeconds };
    }
    try {
      return await this.#registerAdmitted(name, password, email, address, service);
    } finally {
      verdict.attempt.end();
    }
  }

  async #registerAdmitted(name: string, password: string, email: string | null, address: string, service: string): Promise<RegisterResult | SelfRegisterRefusal> {
    const place = this.#registrations ? await this.#registrations.reserve(address, this.settings.registrationsPerAddressPerHour) : null;
    if (place && !place.ok) {
      this.log.warn({ address, service, retryAfterSeconds: place.retryAfterSeconds }, "registration refused: too many accounts from this address");
      return { ok: false, reason: "address-limit", retryAfterSeconds: place.retryAfterSeconds };
    }
    let result: RegisterResult;
    try {
      result = await this.register(name, password, email);
    } catch (error) {
      await place?.release();
      throw error;
    }
    if (!result.ok) {
      await place?.release();
      if (result.reason === "name-taken" || result.reason === "name-retired") await this.guard.recordFailure(null, address);
    }
    return result;
  }

  async register(name: string, password: string, email: string | null): Promise<RegisterResult> {
    if (this.nameProblem(name) !== null) return { ok: false, reason: "invalid-name" };
    const problem = this.checkNewPassword(password);
    if (problem) return { ok: false, reason: problem };
    const folded = foldCase(name);
    if (await this.store.findByName(folded)) return { ok: false, reason: "name-taken" };
    const created = await this.store.create(name, folded, email, await this.#credentials(password), this.now());
    if (created === "name-taken" || created === "name-retired") return { ok: false, reason: created };
    this.log.info({ account: created.name }, "account registered");
    return { ok: true, account: created };
  }

  find(name: string): Promise<Account | undefined> {
    return lookup(this.store, name);
  }

  /**
   * Whether `name` was a deleted account's. The name is never registered again, and what
   * was kept under it stays there: its correspondents' direct conversations with it among them.
   */
  isRetired(name: string): Promise<boolean> {
    return name.includes("\u0000") ? Promise.resolve(false) : this.store.isRetired(foldCase(name));
  }

  findById(id: number): Promise<Account | undefined> {
    return this.store.findById(id);
  }

  list(): Promise<Account[]> {
    return this.store.list();
  }

  credential(account: Account, kind: string): Promise<string | undefined> {
    return this.store.credential(account.id, kind);
  }

  /**
   * Checks a name and password from `address` (the service says which in `service`
   * for the log). Unknown names and wrong passwords give the same answer after the
   * same work: the password is verified against a dummy hash when there is no account.
   */
  async login(name: string, password: string, address: string, service: string): Promise<LoginResult> {
    const verdict = await this.admitLogin(name, address, service);
    if (!verdict.ok) return { ok: false, reason: "throttled", retryAfterSeconds: verdict.retryAfterSeconds };
    const { attempt } = verdict;
    let account: Account | undefined;
    let hash: string | undefined;
    let valid: boolean;
    try {
      account = await lookup(this.store, name);
      hash = account ? await this.store.credential(account.id, ARGON2ID) : undefined;
      valid = await verifyPassword(hash, password);
    } catch (error) {
      // Neither a failure nor a success to record (the store or the hashing failed).
      attempt.end();
      throw error;
    }
    if (!account || !valid || !hash) {
      await this.recordFailure(name, address, service, attempt);
      return { ok: false, reason: "invalid-credentials" };
    }
    await this.recordLogin(account, address, service, attempt);
    // Parameters changed since this hash was made: upgrade it now that we know the password,
    // unless the password was changed while this login was being checked (the upgrade
    // would bring the old one back).
    if (needsRehash(hash)) {
      const upgraded = await this.#credentials(password);
      await this.store.replaceCredentials(account.id, upgraded, this.now(), { kind: ARGON2ID, value: hash });
      return { ok: true, account, credential: await this.#credentialAfterUpgrade(account, password, hash, upgraded[0]!.value) };
    }
    return { ok: true, account, credential: hash };
  }

  /**
   * The hash in effect after this login's upgrade of `checked`: its own, or, when another
   * login of the same password upgraded it first, that one's (the password still verifies
   * against it). A password changed meanwhile leaves `checked`, which is no longer current.
   */
  async #credentialAfterUpgrade(account: Account, password: string, checked: string, upgraded: string): Promise<string> {
    const current = await this.store.credential(account.id, ARGON2ID);
    if (current === undefined || current === upgraded) return upgraded;
    return (await verifyPassword(current, password)) ? current : checked;
  }

  /**
   * Whether `credential` (from a successful login) is still the account's password hash:
   * false once the password was changed meanwhile. A door that starts a lasting session
   * asks after starting it, and ends it when false: a change that overlapped the login may
   * have revoked the account's sessions just before this one began.
   */
  async isCurrentCredential(account: Account, credential: string): Promise<boolean> {
    return (await this.store.credential(account.id, ARGON2ID)) === credential;
  }

  /**
   * Asks the brute-force guard whether `name` may try to log in from `address`, in its
   * turn; a refusal is counted as a throttled attempt. `login` asks it first; a mechanism
   * that checks the secret itself (SASL SCRAM) asks it right before checking it. The
   * attempt let in must end: passed to recordFailure/recordLogin, or ended by the caller.
   */
  async admitLogin(name: string, address: string, service: string): Promise<AdmitVerdict> {
    await this.#loginTurns.pass();
    const verdict = await this.guard.admit(foldCase(name), address);
    if (!verdict.ok) {
      this.log.warn({ account: name, address, service, retryAfterSeconds: verdict.retryAfterSeconds }, "login refused: too many failures");
      this.#loginOutcome(service, "throttled");
    }
    return verdict;
  }

  /**
   * A login attempt refused before any secret was checked — a malformed SASL message,
   * a name no account can have, an invalid or expired access token — counted as a
   * failure for metrics and the log. The guard does not count it: no password was guessed.
   */
  recordRefusal(address: string, service: string, why: string): void {
    this.log.info({ address, service, why }, "login refused");
    this.#loginOutcome(service, "failed");
  }

  /** Bookkeeping for any successful authentication (password, SCRAM, certificate). */
  async recordLogin(account: Account, address: string, service: string, attempt?: Attempt): Promise<void> {
    await this.guard.recordSuccess(foldCase(account.name), address, attempt);
    await this.store.touch(account.id, this.now());
    this.log.info({ account: account.name, address, service }, "login");
    this.#loginOutcome(service, "ok");
  }

  /** The account was online until now: offline messages count from here. */
  async markSeen(account: Account): Promise<void> {
    await this.store.touch(account.id, this.now());
  }

  /**
   * These accounts (folded names) were online until now, and shown the direct messages sent
   * until `shownUntil`: they count as seen until the later of the two. (A sender's node whose
   * clock is ahead of this one's must not leave a message it was shown after its mark; but
   * since the mark never moves back, no further than MAX_CLOCK_LEAD_MS ahead of this clock:
   * a node far off would otherwise hide the messages of that span from the next replay.)
   */
  async markSeenMany(folded: readonly string[], shownUntil: number): Promise<void> {
    const now = this.now();
    if (folded.length > 0) await this.store.touchMany(folded, Math.max(now, Math.min(shownUntil, now + MAX_CLOCK_LEAD_MS)));
  }

  /** Counts a failed login and returns once its reply may go (the guard paces failures on an account). */
  async recordFailure(name: string, address: string, service: string, attempt?: Attempt): Promise<void> {
    const { locked, replyDelayMs } = await this.guard.recordFailure(foldCase(name), address, attempt);
    this.log.warn({ account: name, address, service, locked, replyDelayMs }, "login failed");
    this.#loginOutcome(service, "failed");
    if (replyDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, replyDelayMs));
  }

  /**
   * Sets a new password. Every session of the account logged in before ends (the listeners),
   * but `changedBy`: the logged-in session the change came from, if one did.
   */
  async changePassword(name: string, password: string, changedBy: ChangingSession | null = null): Promise<{ ok: true } | { ok: false; reason: "no-such-account" | PasswordProblem }> {
    const problem = this.checkNewPassword(password);
    if (problem) return { ok: false, reason: problem };
    const found = await lookup(this.store, name);
    if (!found) return { ok: false, reason: "no-such-account" };
    const credentialsVersion = await this.store.changePassword(found.id, await this.#credentials(password), this.now());
    const account: Account = { ...found, credentialsVersion };
    this.log.info({ account: account.name }, "password changed");
    // The change has happened; a listener that fails (database gone) is reported to the
    // caller rather than hidden, since sessions it should have ended may still be live.
    for (const listener of this.#passwordChanged) await listener(account, changedBy);
    return { ok: true };
  }

  /** Sets one of the account's own choices (null = the server's default); returns the account as it now is. */
  async setSetting(account: Account, setting: AccountSetting, value: boolean | null): Promise<Account> {
    await this.store.setSetting(account.id, setting, value);
    this.log.info({ account: account.name, setting, value }, "account setting changed");
    return { ...account, [setting]: value };
  }

  async delete(name: string): Promise<boolean> {
    const folded = foldCase(name);
    const deleted = !name.includes("\u0000") && (await this.store.delete(folded, this.now()));
    if (!deleted) return false;
    this.log.info({ account: name }, "account deleted");
    for (const listener of this.#deleted) listener(folded);
    return true;
  }
}
