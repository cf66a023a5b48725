import type { AuthedFetch } from "./authed-fetch.js";
import * as api from "./http-api.js";
import { ApiError, type AccountView, type SessionView } from "./http-api.js";

/** Where the device keeps its refresh token between visits. The access token stays in memory only. */
export const REFRESH_TOKEN_KEY = "cmy.refreshToken";
/** Refresh this long before the access token expires (at most half its lifetime: see refreshMarginOf). */
const REFRESH_MARGIN_MS = 60_000;
/** One refresh at a time across the tabs of this origin: the refresh token is single use. */
const REFRESH_LOCK = "cmy-refresh";

/**
 * How long before `expiresAt` to refresh: a minute, but never more than half the token's
 * remaining life, or a one-minute token (http.accessTokenMinutes: 1) would be due at once
 * and refreshed every few seconds for as long as the tab is open.
 */
function refreshMarginOf(expiresAt: number): number {
  return Math.min(REFRESH_MARGIN_MS, Math.max(0, expiresAt - Date.now()) / 2);
}

function storedRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeRefreshToken(token: string | null): void {
  try {
    if (token === null) localStorage.removeItem(REFRESH_TOKEN_KEY);
    else localStorage.setItem(REFRESH_TOKEN_KEY, token);
  } catch {
    // Private mode without storage: the session lasts as long as the page.
  }
}

/**
 * Runs `task` holding the cross-tab refresh lock: a Web Lock where the browser has them
 * (secure contexts: https, localhost), otherwise the IndexedDB lease below (plain http to
 * another host); unguarded only where the browser has neither.
 */
async function exclusively<T>(task: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks) return locks.request(REFRESH_LOCK, task) as Promise<T>;
  const db = await openLeaseDb();
  return db ? underLease(db, task) : task();
}

// ── The lease: the refresh lock of pages that are not a secure context ──────────────────
//
// A readwrite transaction on one object store is atomic across every tab of the origin, so
// reading the lease and taking it if free is a compare-and-set no other tab can interleave.
// The lease expires, for a tab closed while holding it. Its holder leaves in it the token it
// replaced and the one it stored instead: the next tab's copy of localStorage may not have
// caught up yet, and presenting the replaced token again would end the session.

const LEASE_DB = "cmy-session";
const LEASE_STORE = "leases";
const LEASE_KEY = "refresh";
/** Longest a tab holds the lease: one that died holding it (closed mid-refresh) blocks the others this long. */
const LEASE_MS = 15_000;
/** A tab waiting for the lease looks again this often (sooner when the holder broadcasts its release). */
const LEASE_RETRY_MS = 250;

interface Lease {
  readonly holder: string | null;
  readonly until: number;
  /** The last refresh under the lease: the token it used up, and the one it stored in its place. */
  readonly replaced: string | null;
  readonly by: string | null;
}

let leaseDb: Promise<IDBDatabase | null> | null = null;
let leaseChannel: BroadcastChannel | null | undefined;
const leaseWaiters = new Set<() => void>();

function openLeaseDb(): Promise<IDBDatabase | null> {
  leaseDb ??= new Promise((resolve) => {
    try {
      const request = indexedDB.open(LEASE_DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(LEASE_STORE);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => {
          db.close();
          leaseDb = null;
        };
        resolve(db);
      };
      request.onerror = () => resolve(null);
    } catch {
      resolve(null); // no IndexedDB (some private modes)
    }
  });
  return leaseDb;
}

/** The channel on which a holder says it let go, so waiting tabs (timers throttled in the background) need not poll. */
function releases(): BroadcastChannel | null {
  if (leaseChannel === undefined) {
    leaseChannel = typeof BroadcastChannel === "function" ? new BroadcastChannel("cmy-refresh-lease") : null;
    if (leaseChannel) leaseChannel.onmessage = () => wakeLeaseWaiters();
  }
  return leaseChannel;
}

function wakeLeaseWaiters(): void {
  for (const wake of [...leaseWaiters]) wake();
}

function leaseReleasedOrRetry(): Promise<void> {
  releases();
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      leaseWaiters.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, LEASE_RETRY_MS);
    leaseWaiters.add(wake);
  });
}

/** Reads the lease and writes what `change` returns, in one transaction; resolves once it is committed. */
function changeLease<T>(db: IDBDatabase, change: (lease: Lease | undefined) => { next?: Lease; result: T }): Promise<T> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(LEASE_STORE, "readwrite");
    const store = transaction.objectStore(LEASE_STORE);
    let result: T;
    const read = store.get(LEASE_KEY);
    read.onsuccess = () => {
      const outcome = change(read.result as Lease | undefined);
      result = outcome.result;
      if (outcome.next) store.put(outcome.next, LEASE_KEY);
    };
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = transaction.onabort = () => reject(transaction.error ?? new Error("The refresh lease could not be read"));
  });
}

function leaseHolderId(): string {
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  return Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join("-");
}

/** Waits for the lease and takes it; resolves to what the previous holder left in it. */
async function takeLease(db: IDBDatabase, holder: string): Promise<Lease | undefined> {
  for (;;) {
    const taken = await changeLease(db, (lease) => {
      const now = Date.now();
      if (lease && lease.holder !== null && lease.until > now) return { result: null };
      return { next: { holder, until: now + LEASE_MS, replaced: lease?.replaced ?? null, by: lease?.by ?? null }, result: { lease } };
    });
    if (taken) return taken.lease;
    await leaseReleasedOrRetry();
  }
}

async function underLease<T>(db: IDBDatabase, task: () => Promise<T>): Promise<T> {
  const holder = leaseHolderId();
  const previous = await takeLease(db, holder);
  if (previous && previous.replaced !== null && previous.by !== null && storedRefreshToken() === previous.replaced) storeRefreshToken(previous.by);
  const before = storedRefreshToken();
  try {
    return await task();
  } finally {
    const after = storedRefreshToken();
    await changeLease(db, (lease) => {
      if (lease?.holder !== holder) return { result: undefined }; // expired and taken by another tab meanwhile
      const handOver = after !== before ? { replaced: before, by: after } : { replaced: lease.replaced, by: lease.by };
      return { next: { holder: null, until: 0, ...handOver }, result: undefined };
    }).catch(() => {});
    releases()?.postMessage("released");
    wakeLeaseWaiters();
  }
}

/** How long a refused refresh waits for this tab's copy of localStorage to show a token another tab stored just before. */
const STORAGE_CATCH_UP_MS = 1_500;

/**
 * The stored refresh token once it is another than `refused`, looked at until `withinMs` have
 * passed; null when it stays the same (or goes). Another tab's write reaches this tab's copy of
 * localStorage a moment after that tab let go of the lock, not necessarily before.
 */
async function newerStoredToken(refused: string, withinMs: number): Promise<string | null> {
  const until = Date.now() + withinMs;
  for (;;) {
    const stored = storedRefreshToken();
    if (stored === null) return null;
    if (stored !== refused) return stored;
    if (Date.now() >= until) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Exchanges the stored refresh token for a new session under the cross-tab lock, storing the
 * rotated token before the lock is released; null when this device holds no token (signed out).
 * A token refused (401) is tried again once with a newer one should another tab have stored one
 * just before (its password change's answer: the token read here was revoked by that change);
 * refused still, it is forgotten (unless another tab stored another meanwhile) and the 401 thrown.
 */
function refreshStoredToken(): Promise<SessionView | null> {
  return exclusively(async () => {
    let token = storedRefreshToken();
    if (token === null) return null;
    let next: SessionView;
    try {
      try {
        next = await api.refresh(token);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) throw error;
        const newer = await newerStoredToken(token, STORAGE_CATCH_UP_MS);
        if (newer === null) throw error;
        token = newer;
        next = await api.refresh(token);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && storedRefreshToken() === token) storeRefreshToken(null);
      throw error;
    }
    storeRefreshToken(next.tokens.refreshToken);
    return next;
  });
}

/**
 * The signed-in account on this device. The short-lived access token lives in memory
 * and is refreshed a minute before it expires (half its lifetime before, when that is
 * shorter); the rotating refresh token lives in localStorage so the session survives a
 * reload. Every tab reads the refresh token from storage under the cross-tab lock before
 * using it, so two tabs never present the same token twice (which the server would take
 * for theft and end the session, but for a retry soon after whose successor is unused).
 */
export class AuthSession {
  #account: AccountView;
  #access: string;
  #accessExpiresAt: number;
  /** How long before #accessExpiresAt the token is refreshed. */
  #refreshMargin: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #refreshing: Promise<boolean> | null = null;
  /**
   * A password change on its way: true once its answer (this device's new session) is adopted,
   * false when it failed. The server revokes every refresh token and ends the account's IRC
   * connections (this tab's too) before that answer arrives; meanwhile a token asked for, or a
   * refresh (the reconnect's SASL refused), waits for it instead of presenting the revoked token.
   */
  #changingPassword: Promise<boolean> | null = null;
  #ended = false;
  readonly #endListeners = new Set<(why: string) => void>();
  readonly #onStorage = (event: StorageEvent): void => {
    // Signed out in another tab: this one follows.
    if (event.key === REFRESH_TOKEN_KEY && event.newValue === null) this.#end("Signed out");
  };

  private constructor(view: SessionView) {
    this.#account = view.account;
    this.#access = view.tokens.accessToken;
    this.#accessExpiresAt = Date.parse(view.tokens.accessTokenExpiresAt);
    this.#refreshMargin = refreshMarginOf(this.#accessExpiresAt);
    storeRefreshToken(view.tokens.refreshToken);
    this.#schedule();
    window.addEventListener("storage", this.#onStorage);
    document.addEventListener("visibilitychange", this.#onVisible);
  }

  /** The session this device kept, if its refresh token is still good. */
  static async restore(): Promise<AuthSession | null> {
    if (storedRefreshToken() === null) return null;
    // A refused token is forgotten by refreshStoredToken, and its 401 thrown.
    const view = await refreshStoredToken();
    return view ? new AuthSession(view) : null;
  }

  static async signIn(name: string, password: string): Promise<AuthSession> {
    return new AuthSession(await api.login(name, password));
  }

  static async register(name: string, password: string, email?: string): Promise<AuthSession> {
    return new AuthSession(await api.register(name, password, email));
  }

  get account(): AccountView {
    return this.#account;
  }

  get ended(): boolean {
    return this.#ended;
  }

  onEnded(listener: (why: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** A valid access token (refreshed first when it is about to expire). */
  readonly getToken = async (): Promise<string> => {
    if (this.#changingPassword) await this.#changingPassword;
    if (this.#ended) throw new ApiError(401, "signed-out", "Signed out");
    if (this.#accessExpiresAt - Date.now() < this.#refreshMargin / 2) {
      if (!(await this.refreshNow())) throw new ApiError(401, "signed-out", "The session has ended");
    }
    return this.#access;
  };

  /** fetch() with the access token; on a 401 the token is refreshed once and the request tried again. */
  readonly fetch: AuthedFetch = async (path, init = {}) => {
    const attempt = async (token: string): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      return fetch(path, { ...init, headers, credentials: "same-origin" });
    };
    const response = await attempt(await this.getToken());
    if (response.status !== 401) return response;
    if (!(await this.refreshNow())) return response;
    return attempt(this.#access);
  };

  /**
   * Exchanges the refresh token now. True when the session goes on; false when it is
   * over (revoked, expired, signed out elsewhere). Network failures throw: try later.
   */
  refreshNow(): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #refresh(): Promise<boolean> {
    // The stored token was revoked by the change on its way: its answer is the new session.
    if (this.#changingPassword && (await this.#changingPassword)) return true;
    try {
      const view = await refreshStoredToken();
      if (view === null) {
        this.#end("Signed out");
        return false;
      }
      this.#adopt(view);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        // The refused token was forgotten (refreshStoredToken): this device's other tabs follow.
        this.#end("Your session has ended; please sign in again");
        return false;
      }
      // Unreachable server: keep the session, try again soon.
      this.#schedule(10_000);
      throw error;
    }
  }

  #adopt(view: SessionView): void {
    this.#account = view.account;
    this.#access = view.tokens.accessToken;
    this.#accessExpiresAt = Date.parse(view.tokens.accessTokenExpiresAt);
    this.#refreshMargin = refreshMarginOf(this.#accessExpiresAt);
    this.#schedule();
  }

  #schedule(inMs?: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#ended) return;
    const delay = inMs ?? Math.max(5_000, this.#accessExpiresAt - Date.now() - this.#refreshMargin);
    this.#timer = setTimeout(() => void this.refreshNow().catch(() => {}), delay);
  }

  /** Background tabs' timers are throttled: look again when the tab comes back. */
  readonly #onVisible = (): void => {
    if (document.visibilityState === "visible" && this.#accessExpiresAt - Date.now() < this.#refreshMargin) void this.refreshNow().catch(() => {});
  };

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const accessToken = await this.getToken();
    // Every refresh token of the account dies; the answer is this device's new session. Under the
    // cross-tab refresh lock, so that another tab (its connection ended too) refreshes with the
    // token stored from the answer, not with the revoked one (whose 401 would sign every tab out).
    const change = (async () => {
      const view = await exclusively(async () => {
        const answer = await api.changePassword(accessToken, currentPassword, newPassword);
        storeRefreshToken(answer.tokens.refreshToken);
        return answer;
      });
      this.#adopt(view);
    })();
    const changing = change.then(
      () => true,
      () => false,
    );
    this.#changingPassword = changing;
    try {
      await change;
    } finally {
      if (this.#changingPassword === changing) this.#changingPassword = null;
    }
  }

  /**
   * Signs this device out (its refresh-token family is revoked). `beforeEnd` runs first, while
   * the session and its connection are still up (the chat's WEBPUSH UNREGISTER: Chat.signedOut).
   */
  async signOut(beforeEnd: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    await beforeEnd().catch(() => {});
    const token = storedRefreshToken();
    this.#end("Signed out");
    storeRefreshToken(null);
    if (token !== null) await api.logout(token).catch(() => {});
  }

  /**
   * Signs every device of the account out (the server deletes its push subscriptions too).
   * `beforeEnd` runs once the server has done so, before this device drops its tokens.
   */
  async signOutEverywhere(beforeEnd: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    await api.logoutEverywhere(await this.getToken());
    await beforeEnd().catch(() => {});
    storeRefreshToken(null);
    this.#end("Signed out everywhere");
  }

  #end(why: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    window.removeEventListener("storage", this.#onStorage);
    document.removeEventListener("visibilitychange", this.#onVisible);
    for (const listener of this.#endListeners) listener(why);
  }
}
