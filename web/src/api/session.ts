import type { AuthedFetch } from "./authed-fetch.js";
import * as api from "./http-api.js";
import { ApiError, type AccountView, type SessionView } from "./http-api.js";

/** Where the device keeps its refresh token between visits. The access token stays in memory only. */
export const REFRESH_TOKEN_KEY = "cmy.refreshToken";
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;
/** One refresh at a time across the tabs of this origin: the refresh token is single use. */
const REFRESH_LOCK = "cmy-refresh";

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

/** Runs `task` holding the cross-tab refresh lock where the browser has Web Locks (secure contexts). */
async function exclusively<T>(task: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return task();
  return locks.request(REFRESH_LOCK, task) as Promise<T>;
}

/**
 * Exchanges the stored refresh token for a new session under the cross-tab lock, storing the
 * rotated token before the lock is released; null when this device holds no token (signed out).
 */
function refreshStoredToken(): Promise<SessionView | null> {
  return exclusively(async () => {
    const token = storedRefreshToken();
    if (token === null) return null;
    const next = await api.refresh(token);
    storeRefreshToken(next.tokens.refreshToken);
    return next;
  });
}

/**
 * The signed-in account on this device. The short-lived access token lives in memory
 * and is refreshed a minute before it expires; the rotating refresh token lives in
 * localStorage so the session survives a reload. Every tab reads the refresh token
 * from storage under a Web Lock before using it, so two tabs never present the same
 * token twice (which the server would take for theft and end the session).
 */
export class AuthSession {
  #account: AccountView;
  #access: string;
  #accessExpiresAt: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #refreshing: Promise<boolean> | null = null;
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
    storeRefreshToken(view.tokens.refreshToken);
    this.#schedule();
    window.addEventListener("storage", this.#onStorage);
    document.addEventListener("visibilitychange", this.#onVisible);
  }

  /** The session this device kept, if its refresh token is still good. */
  static async restore(): Promise<AuthSession | null> {
    if (storedRefreshToken() === null) return null;
    try {
      const view = await refreshStoredToken();
      return view ? new AuthSession(view) : null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) storeRefreshToken(null);
      throw error;
    }
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
    if (this.#ended) throw new ApiError(401, "signed-out", "Signed out");
    if (this.#accessExpiresAt - Date.now() < REFRESH_MARGIN_MS / 2) {
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
        storeRefreshToken(null);
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
    this.#schedule();
  }

  #schedule(inMs?: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#ended) return;
    const delay = inMs ?? Math.max(5_000, this.#accessExpiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.#timer = setTimeout(() => void this.refreshNow().catch(() => {}), delay);
  }

  /** Background tabs' timers are throttled: look again when the tab comes back. */
  readonly #onVisible = (): void => {
    if (document.visibilityState === "visible" && this.#accessExpiresAt - Date.now() < REFRESH_MARGIN_MS) void this.refreshNow().catch(() => {});
  };

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    // Every refresh token of the account dies; the answer is this device's new session.
    const view = await api.changePassword(await this.getToken(), currentPassword, newPassword);
    storeRefreshToken(view.tokens.refreshToken);
    this.#adopt(view);
  }

  /** Signs this device out (its refresh-token family is revoked). */
  async signOut(): Promise<void> {
    const token = storedRefreshToken();
    this.#end("Signed out");
    storeRefreshToken(null);
    if (token !== null) await api.logout(token).catch(() => {});
  }

  /** Signs every device of the account out. */
  async signOutEverywhere(): Promise<void> {
    await api.logoutEverywhere(await this.getToken());
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
