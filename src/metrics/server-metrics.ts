import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SentMessage } from "../core/chat/messaging.js";
import type { LoginOutcome } from "../core/accounts/account-service.js";

/** Every metric name starts with this, so dashboards can tell ours from other exporters'. */
export const METRIC_PREFIX = "cmymessage_";

/** Open connections of one service over one transport. */
export interface ConnectionCount {
  /** irc, ftp. */
  readonly service: string;
  /** tcp, tls, websocket. */
  readonly transport: string;
  readonly count: number;
}

/** A running total of FTP data transfers of one kind (src/ftp/ftp-traffic.ts TransferTally fits). */
export interface TransferFigures {
  readonly direction: string;
  readonly content: string;
  readonly bytes: number;
  readonly complete: number;
  readonly aborted: number;
  readonly failed: number;
}

/** What the scrape-time metrics read; each is asked only when /metrics is scraped, never on a hot path. */
export interface MetricSources {
  /** Users online on this node and live channels (`ChatCore.stats()`). */
  chat(): { readonly users: number; readonly channels: number };
  /** Open connections by service and transport, every pair the node can have (zeros included, so no series goes missing). */
  connections(): readonly ConnectionCount[];
  /** Every accepted connection, all services (ConnectionLimits.total). */
  totalConnections(): number;
  /** FTP data transfers since start, by kind: counted on the data path, read here. */
  ftpTransfers(): readonly TransferFigures[];
}

/** "irc-sasl-scram" → irc and sasl-scram; a service with one way in ("ftp", "http") → password. */
function loginLabels(door: string): { service: string; method: string } {
  const dash = door.indexOf("-");
  return dash === -1 ? { service: door, method: "password" } : { service: door.slice(0, dash), method: door.slice(dash + 1) };
}

/**
 * The server's Prometheus metrics, in one registry of its own (never prom-client's
 * global one): the composition root makes one and hands it to what it measures.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #messages: Counter<"kind" | "conversation">;
  /** Messages sent since the last scrape, by conversation, then kind. */
  readonly #pendingMessages = new Map<string, Map<string, number>>();
  readonly #logins: Counter<"service" | "method" | "outcome">;
  readonly #historyWrites: Histogram;
  readonly #sendQueueDrops: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    const registers = [this.registry];
    const pendingMessages = this.#pendingMessages;
    this.#messages = new Counter({
      name: `${METRIC_PREFIX}messages_sent_total`,
      help: "PRIVMSG/NOTICE messages sent (stored in history when it is on), by kind and conversation",
      labelNames: ["kind", "conversation"],
      registers,
      // Counted per message in plain numbers (see messageSent), added here when scraped.
      collect() {
        for (const [conversation, byKind] of pendingMessages) for (const [kind, count] of byKind) this.inc({ kind, conversation }, count);
        pendingMessages.clear();
      },
    });
    this.#logins = new Counter({
      name: `${METRIC_PREFIX}logins_total`,
      help: "Login attempts by service (irc, ftp, http), method (sasl-plain, sasl-scram, sasl-oauthbearer, pass, nickserv, password) and outcome (ok, failed, throttled)",
      labelNames: ["service", "method", "outcome"],
      registers,
    });
    this.#historyWrites = new Histogram({
      name: `${METRIC_PREFIX}history_write_seconds`,
      help: "Time to write one batch of messages to history (one transaction)",
      // From a fast local SQLite commit to a database that is about to time senders out (4 s).
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#sendQueueDrops = new Counter({
      name: `${METRIC_PREFIX}irc_sendq_exceeded_total`,
      help: "IRC clients dropped because their send queue exceeded irc.sendQueueBytes",
      registers,
    });
  }

  /** Registers the gauges read at scrape time from `sources`. */
  watch(sources: MetricSources): void {
    const registers = [this.registry];
    new Gauge({
      name: `${METRIC_PREFIX}users_online`,
      help: "Users online on this node (connected or always-on)",
      registers,
      collect() {
        this.set(sources.chat().users);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}channels`,
      help: "Live channels on this node",
      registers,
      collect() {
        this.set(sources.chat().channels);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}connections`,
      help: "Open client connections by service (irc, ftp) and transport (tcp, tls, websocket)",
      labelNames: ["service", "transport"],
      registers,
      collect() {
        for (const { service, transport, count } of sources.connections()) this.set({ service, transport }, count);
      },
    });
    // Counted on the data path as plain numbers (a field increment per chunk); the counters copy them here.
    new Counter({
      name: `${METRIC_PREFIX}ftp_bytes_total`,
      help: "FTP payload bytes on data connections by direction (received, sent) and content (file, listing), TLS not included",
      labelNames: ["direction", "content"],
      registers,
      collect() {
        this.reset();
        for (const { direction, content, bytes } of sources.ftpTransfers()) this.inc({ direction, content }, bytes);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}ftp_transfers_total`,
      help: "FTP data transfers ended, by direction, content and outcome (complete, aborted by the client, failed)",
      labelNames: ["direction", "content", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const figures of sources.ftpTransfers()) {
          const { direction, content } = figures;
          for (const outcome of ["complete", "aborted", "failed"] as const) this.inc({ direction, content, outcome }, figures[outcome]);
        }
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}connections_admitted`,
      help: "Connections holding a slot in the shared limits (limits.maxConnections), all services including HTTP",
      registers,
      collect() {
        this.set(sources.totalConnections());
      },
    });
  }

  /** A Messaging observer: counts every PRIVMSG/NOTICE that went out. */
  readonly messageSent = (sent: SentMessage): void => {
    // prom-client's inc hashes its labels on every call: 3.5 % of a direct message's cost in a profile.
    let byKind = this.#pendingMessages.get(sent.conversation.kind);
    if (!byKind) this.#pendingMessages.set(sent.conversation.kind, (byKind = new Map()));
    byKind.set(sent.event.kind, (byKind.get(sent.event.kind) ?? 0) + 1);
  };

  /** One login attempt through `door` ("irc-sasl-scram", "ftp": see LoginListener). */
  login(door: string, outcome: LoginOutcome): void {
    this.#logins.inc({ ...loginLabels(door), outcome });
  }

  historyBatchWritten(seconds: number): void {
    this.#historyWrites.observe(seconds);
  }

  sendQueueExceeded(): void {
    this.#sendQueueDrops.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric, collected now. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
