import { makeDataDirectory, warnIfDataDirectoryIsOpen } from "./data-directory.js";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import { InProcessBus } from "./bus/in-process-bus.js";
import { ClusterNode } from "./cluster/cluster-node.js";
import { nodeName } from "./cluster/node-name.js";
import { AlwaysOnKeeper } from "./core/chat/always-on.js";
import { MissedMessages } from "./core/chat/missed.js";
import { AlwaysOnRepository } from "./store/always-on-repository.js";
import { ChatCore, type ChatLimits } from "./core/chat/chat-core.js";
import { ConnectionLimits } from "./net/connection-limits.js";
import { EXPIRY_WARNING_DAYS, TLS_SOURCE_IN_DATABASE, expiresSoon, loadConfiguredTls, loadTlsMaterial, type TlsMaterial } from "./net/tls-certificate.js";
import { IrcServerContext } from "./irc/server-context.js";
import { IrcService } from "./irc/irc-service.js";
import { textLimits } from "./irc/text-limits.js";
import { VERSION } from "./version.js";
import { openDomain } from "./domain.js";
import { AccountSessions } from "./core/accounts/account-sessions.js";
import { LastSeenKeeper } from "./core/accounts/last-seen.js";
import { foldCase } from "./core/chat/names.js";
import { chatAccountDoor } from "./core/chat/account-door.js";
import { Messaging } from "./core/chat/messaging.js";
import { HistoryWriter } from "./core/chat/history-writer.js";
import { flushNow } from "./turn-end.js";
import { MessagesRepository } from "./store/messages-repository.js";
import { MessageSearchRepository } from "./store/message-search-repository.js";
import { SearchIndexer } from "./store/search-indexer.js";
import { MessageSearchService } from "./core/chat/search.js";
import { ChannelsRepository } from "./store/channels-repository.js";
import { ReadMarkersRepository } from "./store/read-markers-repository.js";
import { ReadMarkers } from "./core/chat/read-markers.js";
import { ChannelRegistry } from "./core/chat/channel-registry.js";
import { startRetention } from "./core/chat/retention.js";
import type { HttpInject, RunningHttp } from "./http/start.js";
import { UPLOAD_PATH } from "./http/public-url.js";
import { FileService } from "./core/files/file-service.js";
import { UsageLedger } from "./core/files/usage-ledger.js";
import { FileUsageRepository } from "./store/file-usage-repository.js";
import type { SpaceLimits } from "./core/files/file-space.js";
import { FtpServerContext } from "./ftp/ftp-context.js";
import { FtpService } from "./ftp/ftp-service.js";
import { FtpTls } from "./ftp/ftp-tls.js";
import { randomBytes } from "node:crypto";
import { ServerSecretsRepository } from "./store/server-secrets-repository.js";
import { loadCommonPasswords } from "./auth/password-policy.js";
import { Shares } from "./core/files/shares.js";
import { SharesRepository } from "./store/shares-repository.js";
import { startPush } from "./push/start.js";
import { Teardown } from "./teardown.js";
import { openAccessTokens } from "./access-tokens.js";
import { checkServingConfig } from "./cluster/serving-checks.js";
import { secretsInDatabase } from "./cluster/shared-secrets.js";
import type { ReadinessProbe } from "./http/readiness.js";
import { ServerMetrics } from "./metrics/server-metrics.js";
import { startMetricsListener, type MetricsListener } from "./metrics/metrics-listener.js";
import { connectionCounts } from "./metrics/connection-counts.js";

export interface RunningServer {
  readonly config: Config;
  readonly irc: { plain: AddressInfo[]; tls: AddressInfo[] };
  /** The FTP control listeners' bound addresses; empty when `ftp.listen` is empty. */
  readonly ftp: AddressInfo[];
  /** The HTTP API's bound addresses; empty when `http.listen` is empty. */
  readonly http: AddressInfo[];
  /** The HTTP API in process, without a socket (the fuzzer uses it); null when `http.listen` is empty. */
  readonly httpInject: HttpInject | null;
  /** The metrics listeners' bound addresses; empty when `metrics.listen` is empty (then /metrics is on the HTTP ones) or metrics are off. */
  readonly metrics: AddressInfo[];
  readonly tlsFingerprint: string | null;
  /** The chat core and its send path, as every door uses them (for tools and tests that speak to core directly). */
  readonly chat: { readonly core: ChatCore; readonly messaging: Messaging };
  /** Re-reads and applies the configuration (REHASH, SIGHUP); a bad one changes nothing. */
  reload(): Promise<Config>;
  /**
   * Graceful stop: stop accepting, tell clients `reason`, close within the configured time,
   * then everything else in TEARDOWN_ORDER. Rejects, naming them, when parts could not be
   * stopped; every other part was still closed.
   */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
  /** Re-reads the configuration from its sources, for REHASH. */
  readonly reload: () => Promise<Config>;
}

export function spaceLimits(config: Config): SpaceLimits {
  return { ...config.files };
}

/** Says which of irc.topicLength, kickLength and awayLength the server lowers, and to what (text-limits.ts). */
function warnLoweredTextLimits(config: Config, log: Logger): void {
  const used = textLimits(config.irc);
  for (const key of ["topicLength", "kickLength", "awayLength"] as const) {
    if (used[key] < config.irc[key]) log.warn({ setting: `irc.${key}`, configured: config.irc[key], used: used[key] }, "lowered to what one IRC line holds whole with the longest nick, username, host and channel name");
  }
}

export function chatLimits(config: Config): ChatLimits {
  const irc = config.irc;
  return {
    nickLength: irc.nickLength,
    channelLength: irc.channelLength,
    // What fits a relayed line whole (text-limits.ts), as TOPICLEN, KICKLEN and AWAYLEN say.
    ...textLimits(irc),
    realnameLength: irc.realnameLength,
    maxChannelsPerUser: irc.maxChannelsPerUser,
    maxListEntries: irc.maxListEntries,
    whowasLength: irc.whowasLength,
    maxMessageBytes: config.chat.maxMessageBytes,
    serverChannels: irc.defaultChannels,
  };
}

/** An ISUPPORT value with the characters that need it escaped (`\x20`, `\x3D`, `\x5C`). */
function isupportValue(text: string): string {
  return text.replace(/[\\ =]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * FILEHOST for IRC clients: where to POST a file (the HTTP upload route). Advertised
 * whenever the web door listens; guests are refused when they try (it needs an account).
 * Both names: `draft/FILEHOST` and soju's `soju.im/FILEHOST`, which gamja and goguma read.
 */
function advertiseFilehost(context: IrcServerContext, http: RunningHttp): void {
  const url = isupportValue(`${http.publicUrl()}${UPLOAD_PATH}`);
  context.setIsupportToken("draft/FILEHOST", url);
  context.setIsupportToken("soju.im/FILEHOST", url);
}

/** Whether `config` serves TLS: IRC over TLS, or FTPS (FTP listening with ftp.tls not off). */
export function servesTls(config: Config): boolean {
  return config.irc.tlsListen.length > 0 || (config.ftp.listen.length > 0 && config.ftp.tls !== "off");
}

/** What renews a certificate, by where it came from (for the warning that it ends soon). */
function renewalHint(material: TlsMaterial): string {
  if (material.configured) return "put the new certificate and key in tls.certFile and tls.keyFile, then reload (SIGHUP or REHASH)";
  if (material.source === TLS_SOURCE_IN_DATABASE) return "delete the server_secrets row tls-self-signed and restart every node (docs/operations.md, Rotating)";
  return "restart the server: it makes a new self-signed certificate";
}

/** Warns when the certificate in use has expired or ends within EXPIRY_WARNING_DAYS (at start and at each reload). */
function warnIfExpiring(material: TlsMaterial, log: Logger): void {
  if (!expiresSoon(material.notAfter)) return;
  const fields = { source: material.source, notAfter: material.notAfter.toISOString(), fingerprint: material.fingerprint, renew: renewalHint(material) };
  if (material.notAfter.getTime() <= Date.now()) log.error(fields, "the TLS certificate has expired: clients refuse it");
  else log.warn(fields, `the TLS certificate expires within ${EXPIRY_WARNING_DAYS} days`);
}

/** The name of the secret unknown accounts' SCRAM salts are derived from (see irc/sasl/scram.ts). */
export const SCRAM_SECRET = "scram-unknown-salt";

/** How long a starting cluster node waits for the other nodes' state before restoring its always-on users. */
const PEER_SNAPSHOTS_WAIT_MS = 5_000;

/** Joins the cluster this node's config names (Redis may still be away: the node retries). */
async function startCluster(config: Config, log: Logger): Promise<ClusterNode> {
  return new ClusterNode({ redisUrl: config.cluster.redisUrl, name: nodeName(config), nodeTimeoutSeconds: config.cluster.nodeTimeoutSeconds, log });
}

/** The composition root: config → core → services. */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { log } = options;
  // Before anything is made or opened: a refused configuration leaves no trace.
  checkServingConfig(config);
  await makeDataDirectory(config.dataDir);
  await warnIfDataDirectoryIsOpen(config.dataDir, log);
  // tls.certFile and tls.keyFile are read and checked before anything is opened: files that are
  // no pair are a configuration error (exit status 2), not a server whose every handshake fails.
  const configuredTls = servesTls(config) && (config.tls.certFile !== "" || config.tls.keyFile !== "") ? await loadConfiguredTls(config.tls) : null;
  const teardown = new Teardown();
  try {
    return await startServing(config, options, teardown, configuredTls);
  } catch (error) {
    await teardown.run({ reason: "Server failed to start", timeoutMs: 0 }, (part, err) => log.warn({ err, part }, "a part of the server that failed to start could not be stopped"));
    throw error;
  }
}

/** Everything startServer opens, each part added to `teardown` as soon as it is open: a failed start and stop() close the same list. */
async function startServing(config: Config, options: StartOptions, teardown: Teardown, configuredTls: TlsMaterial | null): Promise<RunningServer> {
  const { log } = options;
  const domain = await openDomain(config, log);
  teardown.add("database", "database", () => domain.close());
  log.info({ database: domain.store.location, dialect: domain.store.dialect }, "database ready");
  const secrets = new ServerSecretsRepository(domain.store.db);
  // In a cluster the key and certificate a node would make for itself are the cluster's, in the database.
  const sharedSecrets = secretsInDatabase(config) ? secrets : null;
  const registry = new ChannelRegistry(new ChannelsRepository(domain.store.db), log);
  await registry.load();
  // In a cluster other nodes register and drop channels too: this node learns of it from the database.
  if (config.cluster.redisUrl) {
    registry.startRefreshing(config.chat.registrationRefreshSeconds * 1000);
    teardown.add("doors", "channel registration refresh", () => registry.stopRefreshing());
  }
  // After the doors close, before the database does: a topic or mode changed just before the stop is kept.
  teardown.add("history", "channel registrations", () => registry.drain());
  // A cluster's bus is Redis; a node on its own keeps every event in the process.
  const cluster = config.cluster.redisUrl ? await startCluster(config, log) : null;
  const core = new ChatCore(chatLimits(config), cluster?.bus ?? new InProcessBus(), Date.now, registry);
  const alwaysOn = new AlwaysOnKeeper(new AlwaysOnRepository(domain.store.db), (err, account) => log.error({ err, account }, "always-on user could not be saved"));
  core.alwaysOnKeeper = alwaysOn;
  teardown.add("always-on users", "always-on users", () => alwaysOn.drain());
  // Stopped before the always-on users drain: a joined node could still be handed events that save them.
  if (cluster) teardown.add("cluster", "cluster", () => cluster.stop());
  await cluster?.start(core);
  // The always-on users come back into channels that may be live on other nodes: wait (bounded)
  // until this node knows them, or their joins would create them afresh, with op and no +i/+k/+b check.
  if (cluster && !(await cluster.peersHeard(PEER_SNAPSHOTS_WAIT_MS))) log.warn("cluster: not every node answered in time; always-on users are restored with what this node knows");
  for (const record of await new AlwaysOnRepository(domain.store.db).list()) {
    // In a cluster, each always-on user lives on one node: the first to claim its nick (claimAlwaysOn logs why not).
    if (cluster && !(await cluster.nicks.claimAlwaysOn(record))) continue;
    if (core.restoreAlwaysOn(record, config.accounts.multiclient)) continue;
    log.warn({ account: record.account, nick: record.nick }, "always-on user not restored: its nick is taken or invalid");
    // The nick claimed for it is nobody's here (release keeps it when a user of this node holds it).
    cluster?.nicks.release(record.nick);
  }
  // One registry for the whole process, made here and handed to what it measures.
  const metrics = config.metrics.enabled ? new ServerMetrics() : null;
  if (metrics) domain.accounts.onLogin((service, outcome) => metrics.login(service, outcome));
  const history = new MessagesRepository(domain.store, (err) => log.error({ err }, "the index of conversations could not be brought up to date; history reads take the newest messages from the table meanwhile"));
  const writer = config.history.enabled
    ? new HistoryWriter(history, {
        commitIntervalMs: config.history.commitIntervalMs,
        events: {
          ...(metrics && { batchWritten: (seconds: number) => metrics.historyBatchWritten(seconds) }),
          // Senders get FAIL … TEMPORARILY_UNAVAILABLE for each message; the operator gets one line per outage.
          failing: (err) => log.error({ err }, "messages cannot be stored (disk full? database down?): senders are told, nothing is delivered until it works again"),
          recovered: (refused) => log.warn(refused, "messages are stored again"),
          // The batch was written in an immediate, at the end of a turn: its deliveries would
          // otherwise wait for the next turn's end. A tick runs once the senders' promise
          // callbacks (the deliveries) have all run.
          batchAnswered: () => process.nextTick(flushNow),
        },
      })
    : null;
  let currentConfig = config;
  const stopRetention = startRetention(history, () => currentConfig.history, log);
  teardown.add("retention", "retention", stopRetention);
  // Search reads what history keeps: with history off there is nothing to search.
  // SQLite's full-text index is filled behind the writes, in batches (0009-search-index-behind).
  const searchIndexer = new SearchIndexer(domain.store.db, domain.store.dialect, (err) => log.warn({ err }, "messages could not be added to the search index; retrying"));
  searchIndexer.start();
  teardown.add("search indexer", "search indexer", () =>
    searchIndexer.stop().catch((err: unknown) => log.warn({ err }, "the search index could not be brought up to date before stopping")),
  );
  if (writer) teardown.add("history", "history", () => writer.drain());
  const search = writer ? new MessageSearchService(core, new MessageSearchRepository(domain.store.db, domain.store.dialect, searchIndexer), () => currentConfig.search) : null;
  const readMarkers = new ReadMarkers(new ReadMarkersRepository(domain.store.db), core, Date.now, () => currentConfig.chat.maxReadMarkersPerAccount);
  const messaging = new Messaging(core, writer, { exists: async (name) => (await domain.accounts.find(name)) !== undefined });
  const limits = new ConnectionLimits(config.limits.connectionsPerIp, config.limits.maxConnections);

  /** The certificate new TLS connections get (IRC over TLS, FTPS); replaced by a reload with new files. */
  let tlsMaterial: TlsMaterial | null = null;
  let tls = null;
  const ftpTls = config.ftp.listen.length > 0 && config.ftp.tls !== "off";
  if (servesTls(config)) {
    const material = configuredTls ?? (await loadTlsMaterial({ ...config.tls, dataDir: config.dataDir, serverName: config.server.name, shared: sharedSecrets }));
    tlsMaterial = material;
    tls = { cert: material.cert, key: material.key };
    // Both digests: clients pin SHA-256, but some show only SHA-1 to compare (lftp).
    const fields = { fingerprint: material.fingerprint, fingerprintSha1: material.fingerprintSha1, notAfter: material.notAfter.toISOString(), generated: material.generated, source: material.source };
    if (material.replacedExpiring) {
      log.warn(
        { ...fields, replacedNotAfter: material.replacedExpiring.toISOString() },
        `made a new self-signed TLS certificate: the one made earlier had expired or ended within ${EXPIRY_WARNING_DAYS} days; clients that pinned its fingerprint must pin the new one`,
      );
    } else log.info(fields, material.generated ? "made a self-signed TLS certificate" : "TLS certificate loaded");
    warnIfExpiring(material, log);
  }

  // Quota figures and upload reservations are in the database: every node sharing <dataDir>/files counts against one quota.
  const ledger = new UsageLedger(new FileUsageRepository(domain.store.db, domain.store.dialect), {
    node: nodeName(config),
    reservationTimeoutMs: config.cluster.nodeTimeoutSeconds * 1000,
    onError: (err, what) => log.error({ err }, what),
  });
  const files = new FileService(config.dataDir, spaceLimits(config), ledger, config.files.remeasureAfterIdleSeconds * 1000);
  teardown.add("file transfers", "file transfers", ({ timeoutMs }) => files.drain(timeoutMs));
  // File shares: a link posted by its owner opens for the conversation it was posted to.
  const shares = new Shares(new SharesRepository(domain.store.db), core, { exists: async (name) => (await domain.accounts.find(name)) !== undefined, retired: (name) => domain.accounts.isRetired(name) }, (err, share) =>
    log.error({ err, share }, "share grant could not be stored"),
  );
  teardown.add("file shares", "file shares", () => shares.drain());
  messaging.observe(shares.observer);
  if (metrics) messaging.observe(metrics.messageSent);
  core.removedMessages.add(shares.redactionObserver);
  const ftpsTls = ftpTls && tls ? new FtpTls(tls) : null;
  const ftpContext = new FtpServerContext(config, domain.accounts, files, log, ftpsTls);
  let context: IrcServerContext;
  let http: RunningHttp | null = null;
  /**
   * The certificate a reload brings: tls.certFile and tls.keyFile read again and checked as
   * at start (a ConfigError naming the file when they are unusable, and the reload changes
   * nothing). The self-signed one stays as it is while no files are configured.
   */
  const reloadedTls = async (current: TlsMaterial, next: Config): Promise<TlsMaterial> => {
    if (next.tls.certFile === "" && next.tls.keyFile === "" && !current.configured) return current;
    return loadTlsMaterial({ ...next.tls, dataDir: config.dataDir, serverName: next.server.name, shared: sharedSecrets });
  };
  const reload = async (): Promise<Config> => {
    const next = await options.reload();
    if (tlsMaterial) {
      const material = await reloadedTls(tlsMaterial, next);
      if (material.cert !== tlsMaterial.cert || material.key !== tlsMaterial.key) {
        // Applied first: a certificate OpenSSL refuses throws before any other setting changes.
        // Connections already made keep their session; new ones (and each AUTH TLS) get this one.
        irc.setTls({ cert: material.cert, key: material.key });
        ftpsTls?.update({ cert: material.cert, key: material.key });
        log.info(
          { fingerprint: material.fingerprint, fingerprintSha1: material.fingerprintSha1, notAfter: material.notAfter.toISOString(), source: material.source },
          "TLS certificate reloaded: new connections get it",
        );
      }
      tlsMaterial = material;
      warnIfExpiring(material, log);
    }
    context.replaceConfig(next);
    core.limits = chatLimits(next);
    limits.update(next.limits.connectionsPerIp, next.limits.maxConnections);
    domain.update(next);
    http?.update(next);
    if (http) advertiseFilehost(context, http);
    ftpContext.config = next;
    files.updateLimits(spaceLimits(next), next.files.remeasureAfterIdleSeconds * 1000);
    writer?.setCommitInterval(next.history.commitIntervalMs);
    currentConfig = next;
    log.level = next.log.level;
    return next;
  };
  const scramSecret = await secrets.getOrCreate(SCRAM_SECRET, () => randomBytes(32));
  // Before IRC starts: SASL OAUTHBEARER accepts the HTTP API's access tokens.
  const tokens = await openAccessTokens(config, log.child({ service: "http" }), sharedSecrets);
  // Web Push (draft/webpush): VAPID keys live in the database, so every node signs alike.
  const push = await startPush({ config: () => currentConfig, core, store: domain.store, secrets, log });
  teardown.add("push", "push", () => push.stop());
  messaging.observe(push.observe);
  context = new IrcServerContext(
    config,
    { core, messaging, accounts: domain.accounts, history: writer ? history : null, missed: writer ? new MissedMessages(history) : null, readMarkers, tokens, push: push.irc, nickClaims: cluster?.nicks },
    log,
    VERSION,
    reload,
    scramSecret,
  );
  if (metrics) {
    context.onSendQueueExceeded = () => metrics.sendQueueExceeded();
    const ircContext = context;
    metrics.watch({
      chat: () => core.stats(),
      // Plain HTTP requests are only in the admitted total.
      connections: () => connectionCounts(ircContext, ftpContext),
      totalConnections: () => limits.total,
      ftpTransfers: () => ftpContext.traffic.all(),
    });
  }
  const irc = new IrcService(context, limits);
  // Before it starts: a start that fails half way has listeners to close.
  teardown.add("doors", "IRC", ({ reason, timeoutMs }) => irc.shutdown(reason, timeoutMs));
  await irc.start(tls);
  const addresses = irc.addresses();
  warnLoweredTextLimits(config, log);
  for (const a of addresses.plain) log.info({ address: a.address, port: a.port }, "IRC listening");
  for (const a of addresses.tls) log.info({ address: a.address, port: a.port }, "IRC (TLS) listening");
  const ftp = new FtpService(ftpContext, limits);
  // The sessions of a deleted account, and those logged in before a password change, end on every
  // door: at once when changed here, within a sweep when elsewhere.
  const ircConnections = context.connections;
  const accountSessions = new AccountSessions(domain.accounts, [chatAccountDoor(core, () => ircConnections), ftpContext.accountDoor], (err) =>
    log.warn({ err }, "could not check whether logged-in accounts still exist and have the password they logged in with"),
  );
  accountSessions.start(config.accounts.deletedCheckSeconds * 1000);
  teardown.add("doors", "account sessions", () => accountSessions.stop());
  // Offline direct messages count from when the account was last seen: kept current while it is
  // connected, since a crash writes no connection's end. Stopped after the doors, whose connections' ends mark their own.
  const connectedAccounts = function* (): Iterable<string> {
    for (const connection of ircConnections) if (connection.account) yield foldCase(connection.account.name);
  };
  const lastSeen = new LastSeenKeeper(domain.accounts, connectedAccounts, (err) => log.warn({ err }, "accounts could not be marked seen; retrying every second"));
  core.directShown.add(({ user, event }) => {
    if (user.account !== null) lastSeen.shown(foldCase(user.account), event.time);
  });
  lastSeen.start();
  teardown.add("history", "last seen", () => lastSeen.stop());
  // What GET /readyz asks before a load balancer sends clients here.
  const readiness: ReadinessProbe[] = [{ name: "database", probe: () => domain.store.ping() }];
  if (cluster) readiness.push({ name: "redis", probe: () => cluster.probe() });
  let metricsListener: MetricsListener | null = null;
  teardown.add("doors", "FTP", ({ reason, timeoutMs }) => ftp.shutdown(reason, timeoutMs));
  await ftp.start();
  for (const a of ftp.addresses()) log.info({ address: a.address, port: a.port }, "FTP listening");
  // Imported only when the web door is on, and after IRC and FTP listen: fastify and its
  // schema compilers are the largest part of start-up left, and IRC needs none of it.
  if (config.http.listen.length > 0) {
    const acceptWebSocket = await irc.webSocketAcceptor();
    http = await (await import("./http/start.js")).startHttp(config, {
      accounts: domain.accounts,
      sessions: domain.sessions,
      core,
      history: writer ? history : null,
      search,
      limits,
      log,
      files,
      shares,
      tokens,
      acceptWebSocket,
      readiness,
      metrics: metrics && config.metrics.listen.length === 0 ? metrics : null,
    });
    const started = http;
    if (started) {
      teardown.add("doors", "HTTP", ({ timeoutMs }) => started.stop(timeoutMs));
      advertiseFilehost(context, started);
      // Derived from server.name, which clients often cannot resolve (cmymessage.local by default): say where links point.
      if (config.http.publicUrl === "") log.warn({ links: started.publicUrl() }, "http.publicUrl is not set: upload and share links (and IRC's draft/FILEHOST) use this address; set http.publicUrl to the one clients reach");
    }
  }
  if (metrics && config.metrics.listen.length > 0) {
    const listener = await startMetricsListener(config.metrics.listen, metrics, limits, log.child({ service: "metrics" }));
    teardown.add("doors", "metrics", () => listener.stop());
    metricsListener = listener;
    for (const a of metricsListener.addresses()) log.info({ address: a.address, port: a.port }, "metrics listening");
  }

  // After the doors open rather than on import, to keep it out of start-up time; before the
  // first registration in practice, so no request waits for it.
  loadCommonPasswords().catch((error: Error) => log.warn({ err: error.message }, "could not preload the common-password list; it loads on first use"));

  let stopping: Promise<void> | null = null;
  return {
    config,
    irc: addresses,
    ftp: ftp.addresses(),
    http: http?.addresses() ?? [],
    httpInject: http?.inject ?? null,
    metrics: metricsListener?.addresses() ?? [],
    get tlsFingerprint() {
      return tlsMaterial?.fingerprint ?? null;
    },
    chat: { core, messaging },
    reload,
    stop(reason = "Server shutting down") {
      stopping ??= (async () => {
        // First of all: /readyz says "stopping", so a load balancer sends no one new here.
        http?.markStopping();
        const failed: string[] = [];
        await teardown.run({ reason, timeoutMs: context.config.server.shutdownTimeoutSeconds * 1000 }, (part, err) => {
          failed.push(part);
          log.error({ err, part }, "a part of the server could not be stopped");
        });
        // Every other part was still closed; the caller (serve's exit status) hears that the stop was not clean.
        if (failed.length > 0) throw new Error(`could not stop: ${failed.join(", ")}`);
        log.info("server stopped");
      })();
      return stopping;
    },
  };
}
