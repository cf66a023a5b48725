import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SentMessage } from "../core/chat/messaging.js";

/** Every metric name starts with this, so dashboards can tell ours from other exporters'. */
export const METRIC_PREFIX = "cmymessage_";

export type LoginOutcome = "ok" | "failed" | "throttled";

/** What the scrape-time gauges read; each is asked only when /metrics is scraped, never on a hot path. */
export interface MetricSources {
  /** Users online on this node and live channels (`ChatCore.stats()`). */
  chat(): { readonly users: number; readonly channels: number };
  /** Open connections by service (irc, ftp, …), and all of them as the shared limits count them. */
  connections(): Readonly<Record<string, number>>;
  /** Every accepted connection, all services (ConnectionLimits.total). */
  totalConnections(): number;
}

/**
 * The server's Prometheus metrics, in one registry of its own (never prom-client's
 * global one): the composition root makes one and hands it to what it measures.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #messages: Counter<"kind" | "conversation">;
  readonly #logins: Counter<"service" | "outcome">;
  readonly #historyWrites: Histogram;
  readonly #sendQueueDrops: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    const registers = [this.registry];
    this.#messages = new Counter({
      name: `${METRIC_PREFIX}messages_sent_total`,
      help: "PRIVMSG/NOTICE messages sent (stored in history when it is on), by kind and conversation",
      labelNames: ["kind", "conversation"],
      registers,
    });
    this.#logins = new Counter({
      name: `${METRIC_PREFIX}logins_total`,
      help: "Password and SASL logins by service and outcome (ok, failed, throttled)",
      labelNames: ["service", "outcome"],
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
      help: "Open client connections by service (irc includes IRC over WebSocket)",
      labelNames: ["service"],
      registers,
      collect() {
        for (const [service, count] of Object.entries(sources.connections())) this.set({ service }, count);
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
    this.#messages.inc({ kind: sent.event.kind, conversation: sent.conversation.kind });
  };

  login(service: string, outcome: LoginOutcome): void {
    this.#logins.inc({ service, outcome });
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
