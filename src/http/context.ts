import type { Logger } from "pino";
import type { AccountService } from "../core/accounts/account-service.js";
import type { RefreshSessions } from "../core/accounts/refresh-sessions.js";
import type { ChatCore } from "../core/chat/chat-core.js";
import type { HistoryStore } from "../core/chat/history.js";
import type { MessageSearchService } from "../core/chat/search.js";
import type { AccessTokens } from "../auth/tokens.js";
import type { FileService } from "../core/files/file-service.js";
import type { Shares } from "../core/files/shares.js";
import type { Readiness } from "./readiness.js";
import type { MetricsExposition } from "./routes/metrics.js";

/** What the HTTP adapter is built from: core services, never the store. */
export interface HttpContext {
  readonly accounts: AccountService;
  readonly sessions: RefreshSessions;
  readonly tokens: AccessTokens;
  /** Live channels and who is in them (this node). */
  readonly core: ChatCore;
  /** Null when history is turned off. */
  readonly history: HistoryStore | null;
  /** Message search over history; null when history is turned off. */
  readonly search: MessageSearchService | null;
  readonly log: Logger;
  /** Each account's file space, the same FTP serves. */
  readonly files: FileService;
  readonly shares: Shares;
  /** What `GET /readyz` asks: the probes, and whether the server is stopping. */
  readonly readiness: Readiness;
  /** Served at GET /metrics; absent when metrics are off or have listeners of their own. */
  readonly metrics?: MetricsExposition | null;
  /** The web door's address as clients reach it (`http.publicUrl`, or derived): the base of absolute links. */
  publicUrl(): string;
}

/** The name services pass to the accounts domain for logs and the brute-force guard. */
export const SERVICE = "http";
