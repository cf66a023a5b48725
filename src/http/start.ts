import type { AddressInfo } from "node:net";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { AccountService } from "../core/accounts/account-service.js";
import type { RefreshSessions } from "../core/accounts/refresh-sessions.js";
import type { ChatCore } from "../core/chat/chat-core.js";
import type { HistoryStore } from "../core/chat/history.js";
import type { MessageSearchService } from "../core/chat/search.js";
import type { ConnectionLimits } from "../net/connection-limits.js";
import type { FileService } from "../core/files/file-service.js";
import type { Shares } from "../core/files/shares.js";
import type { AccessTokens } from "../auth/tokens.js";
import { accessTokenSettings, openAccessTokens } from "../access-tokens.js";
import { buildHttpApp } from "./app.js";
import { HttpService } from "./http-service.js";
import { publicBaseUrl } from "./public-url.js";
import type { WebSocketAcceptor } from "./websocket-upgrade.js";
import { Readiness, type ReadinessProbe } from "./readiness.js";
import type { MetricsExposition } from "./routes/metrics.js";
import { nodeName } from "../cluster/node-name.js";

export interface HttpDependencies {
  readonly accounts: AccountService;
  readonly sessions: RefreshSessions;
  readonly core: ChatCore;
  readonly history: HistoryStore | null;
  readonly search: MessageSearchService | null;
  readonly limits: ConnectionLimits;
  readonly log: Logger;
  readonly files: FileService;
  readonly shares: Shares;
  /** The access tokens, when the composition root made them (IRC checks them too); made here otherwise (key in <dataDir>, one node). */
  readonly tokens?: AccessTokens | null;
  /** Serves IRC over WebSocket at /ws (the IRC adapter's, passed in by the composition root). */
  readonly acceptWebSocket?: WebSocketAcceptor;
  /** What `GET /readyz` checks (the database; the cluster bus in a cluster). */
  readonly readiness: readonly ReadinessProbe[];
  /** Served at GET /metrics here; null when metrics are off or have listeners of their own. */
  readonly metrics?: MetricsExposition | null;
}

/** A request handled by the app in process, with no socket (Fastify's inject). */
export type HttpInject = (request: InjectOptions) => Promise<LightMyRequestResponse>;

export interface RunningHttp {
  addresses(): AddressInfo[];
  /** The API in process, for the fuzzer (fuzz/targets/http-json.ts): routes, schemas and error handling as a listener has them. */
  readonly inject: HttpInject;
  /** The web door's address as clients reach it (`http.publicUrl`, or derived from the bound port). */
  publicUrl(): string;
  /** Applies a reloaded config to what can change at run time (token lifetime and issuer). */
  update(config: Config): void;
  /** `/readyz` answers 503 "stopping" from now on (the server has begun to stop; the listeners close next). */
  markStopping(): void;
  stop(timeoutMs: number): Promise<void>;
}

/** Expired refresh tokens are forgotten this often (and at start). */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Starts the web door, or nothing when `http.listen` is empty (then no signing key
 * is loaded or made either).
 */
export async function startHttp(config: Config, deps: HttpDependencies): Promise<RunningHttp | null> {
  if (config.http.listen.length === 0) return null;
  const log = deps.log.child({ service: "http" });
  const tokens = deps.tokens ?? (await openAccessTokens(config, log, null));
  if (!tokens) return null;
  let current = config;
  // Known once the first listener is bound (port 0 in tests); until then, the configured one.
  let boundPort: number | undefined;
  const publicUrl = (): string => publicBaseUrl(current, boundPort);
  const readiness = new Readiness(nodeName(config), deps.readiness, log);
  const app = await buildHttpApp({ ...deps, tokens, log, publicUrl, readiness }, config.http);
  const webSocket = deps.acceptWebSocket
    ? { accept: deps.acceptWebSocket, settings: { allowedOrigins: config.http.allowedOrigins, trustedProxyHops: config.http.trustProxy, listenerIsTls: false } }
    : null;
  const service = new HttpService(
    app,
    deps.limits,
    log,
    {
      headersMs: config.http.headersTimeoutSeconds * 1000,
      requestMs: config.http.requestTimeoutSeconds * 1000,
      maxPipelinedRequests: config.http.maxPipelinedRequests,
    },
    webSocket,
  );
  try {
    await service.start(config.http.listen);
  } catch (error) {
    await app.close();
    throw error;
  }
  for (const a of service.addresses()) log.info({ address: a.address, port: a.port }, "HTTP listening");
  boundPort = service.addresses()[0]?.port;

  const prune = (): void => {
    deps.sessions.prune().then(
      (deleted) => deleted > 0 && log.debug({ deleted }, "expired refresh tokens forgotten"),
      (error: Error) => log.warn({ err: error.message }, "could not prune refresh tokens"),
    );
  };
  prune();
  const pruner = setInterval(prune, PRUNE_INTERVAL_MS).unref();
  return {
    addresses: () => service.addresses(),
    inject: (request) => app.inject(request),
    publicUrl,
    update: (next) => {
      tokens.update(accessTokenSettings(next));
      current = next;
    },
    markStopping: () => readiness.markStopping(),
    async stop(timeoutMs) {
      readiness.markStopping();
      clearInterval(pruner);
      await service.shutdown(timeoutMs);
    },
  };
}
