import type { Logger } from "pino";
import { withTimeout } from "../with-timeout.js";

/**
 * One thing this node needs to serve (the database, the cluster bus), asked by `GET /readyz`.
 * `probe()` resolves when the thing answers; it rejects with an Error whose message is the reason.
 */
export interface ReadinessProbe {
  readonly name: string;
  probe(): Promise<void>;
}

/**
 * How long one probe may take before it counts as failed: a database that hangs makes
 * `/readyz` answer 503 within this time rather than keep the load balancer waiting
 * (load balancers give up on a check after a few seconds, and then know less).
 */
export const READINESS_PROBE_TIMEOUT_MS = 2000;

/** What `/readyz` reports: every check with "ok" or its reason, and whether the node is ready. */
export interface ReadinessReport {
  readonly node: string;
  readonly ready: boolean;
  /** True once the server has begun to stop: not ready whatever the checks say (they are not run). */
  readonly stopping: boolean;
  /** Probe name → "ok" or the reason it failed. */
  readonly checks: Readonly<Record<string, string>>;
  /** The failed checks, in probe order. */
  readonly failures: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

export const OK = "ok";

/** A probe's outcome within `timeoutMs`: "ok", or the reason it failed or took too long. */
async function outcome(running: Promise<void>, timeoutMs: number): Promise<string> {
  try {
    await withTimeout(running, timeoutMs, `no answer within ${timeoutMs} ms`);
    return OK;
  } catch (error) {
    return error instanceof Error && error.message ? error.message : String(error) || "failed";
  }
}

/**
 * The node's readiness: runs the probes for each `/readyz` request, each bounded by a
 * timeout, and says "not ready" for good once the server begins to stop, so a load
 * balancer drains the node before its listeners close.
 */
export class Readiness {
  #stopping = false;
  /** A probe still running from an earlier check is joined, not started again: a hung dependency never piles up probes. */
  readonly #running = new Map<string, Promise<void>>();
  /** The last outcome of each probe, so a change is logged once rather than on every check. */
  readonly #last = new Map<string, string>();

  constructor(
    readonly node: string,
    private readonly probes: readonly ReadinessProbe[],
    private readonly log: Logger,
    private readonly timeoutMs = READINESS_PROBE_TIMEOUT_MS,
  ) {}

  get stopping(): boolean {
    return this.#stopping;
  }

  /** From now on every check answers "stopping". */
  markStopping(): void {
    this.#stopping = true;
  }

  async check(): Promise<ReadinessReport> {
    if (this.#stopping) return { node: this.node, ready: false, stopping: true, checks: {}, failures: [] };
    const results = await Promise.all(this.probes.map(async (probe) => [probe.name, await outcome(this.#start(probe), this.timeoutMs)] as const));
    const failures = results.filter(([, result]) => result !== OK).map(([name, reason]) => ({ name, reason }));
    for (const [name, result] of results) this.#note(name, result);
    // A probe can take the full timeout; the server may have begun to stop meanwhile.
    const stopping = this.#stopping;
    return { node: this.node, ready: failures.length === 0 && !stopping, stopping, checks: Object.fromEntries(results), failures };
  }

  #start(probe: ReadinessProbe): Promise<void> {
    const running = this.#running.get(probe.name);
    if (running) return running;
    const started = (async () => probe.probe())().finally(() => this.#running.delete(probe.name));
    // Its rejection is read by every check that joined it; this keeps a late one from going unhandled.
    started.catch(() => {});
    this.#running.set(probe.name, started);
    return started;
  }

  #note(name: string, result: string): void {
    const previous = this.#last.get(name);
    this.#last.set(name, result);
    if (result === OK) {
      if (previous !== undefined && previous !== OK) this.log.info({ check: name }, "readiness check passes again");
    } else if (previous === undefined || previous === OK) {
      this.log.warn({ check: name, reason: result }, "readiness check fails: this node answers /readyz with 503");
    }
  }
}
