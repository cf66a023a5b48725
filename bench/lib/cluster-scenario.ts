/**
 * cluster-fanout: what spreading one channel's members over the nodes of a cluster
 * costs. The same fanout runs against one node (case A: Redis and PostgreSQL as
 * well, so that only the spread differs) and against several (case B: client i
 * on node i mod N, so the members and the senders are spread evenly). The CPU time
 * of every node and of Redis (utime+stime, /proc) is read around the traffic and
 * divided by the deliveries; the PostgreSQL backends serving the nodes are
 * reported apart (they store each message once in either case).
 */
import type { Redis } from "ioredis";
import { BenchClient } from "./client.js";
import { Hub } from "./load-client.js";
import { postgresBackendPids } from "./postgres.js";
import { contextSwitches, ioSyscalls, processCpuSplitMicros } from "./proc.js";
import { firstErrors, measureFanout, onlyClients, openEach, pool, trafficMetrics, trafficNotes, waitQuiet, type Target } from "./scenarios.js";
import type { RunningCluster } from "./cluster-servers.js";
import { median } from "./median.js";

export type ClusterCase = "A" | "B";

export interface ClusterFanoutOptions {
  readonly clients: number;
  readonly senders: number;
  readonly messages: number;
  /**
   * Messages per sender of an unmeasured round first: a process's JavaScript runs
   * interpreted or baseline-compiled until V8 has optimised it, and each node of a
   * cluster warms up on its own (measured cold, the optimising compiler's threads were
   * a fifth of the nodes' CPU samples, and optimised code under 5 %).
   */
  readonly warmupMessages: number;
  readonly window: number;
  readonly textBytes: number;
  readonly timeoutSeconds: number;
  /** PostgreSQL's port, to find the backends serving the nodes. */
  readonly postgresPort: number;
}

/** One process's part of a case's CPU. */
export interface ProcessShare {
  /** bench1, bench2 … (the nodes), redis, postgres (all backends serving the nodes). */
  readonly name: string;
  readonly micros: number;
  readonly usPerDelivery: number;
  /** Of one CPU, over the traffic. */
  readonly cpuPct: number;
  /** The kernel's share (stime) of its CPU time: system calls, i.e. mostly socket I/O. */
  readonly systemPct: number;
  /** Times its main thread went to sleep and woke up again, per message sent (NaN for PostgreSQL). */
  readonly wakeupsPerMessage: number;
}

export interface ClusterCaseResult {
  readonly case: ClusterCase;
  readonly nodes: number;
  readonly run: number;
  /** rate, delivered, latency, loss, us_per (nodes + Redis), … (see CASE_ROWS). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly processes: readonly ProcessShare[];
  readonly notes: readonly string[];
}

const CHANNEL = "#cluster";

interface Mark {
  /** utime + stime by PID. */
  readonly cpu: Map<number, number>;
  /** stime alone by PID. */
  readonly system: Map<number, number>;
  readonly writes: number;
  /** Voluntary context switches (wake-ups) of each node's and Redis's main thread, by PID. */
  readonly wakeups: Map<number, number>;
  readonly involuntary: number;
  readonly publishes: number;
}

/** PUBLISH commands Redis has run so far (INFO commandstats). */
async function publishCount(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  const match = /^cmdstat_publish:calls=(\d+)/m.exec(info);
  return match ? Number(match[1]) : 0;
}

interface NamedProcess {
  readonly name: string;
  readonly pid: number;
}

/** Reads the counters of the cluster's processes (`named`: nodes and Redis; `others`: PostgreSQL backends) and of Redis. */
async function mark(named: readonly NamedProcess[], others: readonly number[], nodes: readonly NamedProcess[], redis: Redis): Promise<Mark> {
  const cpu = new Map<number, number>();
  const system = new Map<number, number>();
  for (const pid of [...named.map((p) => p.pid), ...others]) {
    const split = processCpuSplitMicros(pid);
    // Gone already (a pool connection closed): it counts for nothing, rather than as NaN.
    if (split === null) continue;
    cpu.set(pid, split.user + split.system);
    system.set(pid, split.system);
  }
  const writes = nodes.reduce((sum, n) => sum + (ioSyscalls(n.pid)?.writes ?? Number.NaN), 0);
  const wakeups = new Map<number, number>();
  let involuntary = 0;
  for (const { pid } of named) {
    const switches = contextSwitches(pid);
    wakeups.set(pid, switches?.voluntary ?? Number.NaN);
    involuntary += switches?.involuntary ?? Number.NaN;
  }
  return { cpu, system, writes, wakeups, involuntary, publishes: await publishCount(redis) };
}

/** Runs one case against a running cluster (one node for case A). */
export async function clusterFanout(cluster: RunningCluster, kase: ClusterCase, run: number, options: ClusterFanoutOptions): Promise<ClusterCaseResult> {
  const { nodes, redis } = cluster;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const hub = new Hub();
  const opened = await openEach(options.clients, 50, deadline, (index, timeoutMs) => {
    const node = nodes[index % nodes.length]!;
    return BenchClient.open({ host: node.host, port: node.port, index, nick: `k${index}`, hub, timeoutMs });
  });
  const clients = onlyClients(opened);
  try {
    if (clients.length !== options.clients) throw new Error(`only ${clients.length}/${options.clients} clients registered: ${firstErrors(opened).join("; ")}`);
    const joined = await pool(clients.length, 20, (i) => clients[i]!.join(CHANNEL, 30_000));
    const joinErrors = firstErrors(joined);
    if (joinErrors.length > 0) throw new Error(`JOIN failed: ${joinErrors.join("; ")}`);
    // The JOINs of the others, from every node through Redis, must have arrived: then every
    // node's replica holds every member and the channel's routes are complete.
    await waitQuiet(hub, 500, 30_000);
    for (const client of clients) client.measuring = true;
    if (options.warmupMessages > 0) {
      const warm = await measureFanout({ name: "warm-up", host: nodes[0]!.host, port: nodes[0]!.port, pid: null }, hub, clients, CHANNEL, { ...options, messages: options.warmupMessages }, deadline);
      if (warm.traffic.outcome !== "complete") throw new Error(`warm-up: ${trafficNotes(warm.traffic, clients, hub).join("; ")}`);
      await waitQuiet(hub, 500, 10_000);
    }

    const named: NamedProcess[] = [...nodes.map((n) => ({ name: n.name, pid: n.pid })), { name: "redis", pid: redis.pid }];
    const backends = (): number[] => nodes.flatMap((n) => postgresBackendPids(n.pid, options.postgresPort));
    const start = await mark(named, backends(), nodes, cluster.redisClient);
    // For the noise figure only: every process of the cluster counts as the server's.
    const target: Target = { name: `case ${kase}`, host: nodes[0]!.host, port: nodes[0]!.port, pid: null, helperPids: () => [...named.map((p) => p.pid), ...backends()] };
    const { traffic, cpu } = await measureFanout(target, hub, clients, CHANNEL, options, deadline);
    const end = await mark(named, backends(), nodes, cluster.redisClient);

    const delivered = Math.max(1, traffic.delivered);
    const seconds = Math.max(1e-6, cpu.wallMicros / 1e6);
    const messages = options.senders * options.messages;
    const share = (name: string, micros: number, systemMicros: number, pid?: number): ProcessShare => ({
      name,
      micros,
      usPerDelivery: micros / delivered,
      systemPct: (systemMicros / micros) * 100,
      cpuPct: micros / 1e4 / seconds,
      wakeupsPerMessage: pid === undefined ? Number.NaN : ((end.wakeups.get(pid) ?? Number.NaN) - (start.wakeups.get(pid) ?? Number.NaN)) / messages,
    });
    const delta = (pid: number): number => (end.cpu.get(pid) ?? Number.NaN) - (start.cpu.get(pid) ?? 0);
    const systemDelta = (pid: number): number => (end.system.get(pid) ?? Number.NaN) - (start.system.get(pid) ?? 0);
    const processes = named.map((p) => share(p.name, delta(p.pid), systemDelta(p.pid), p.pid));
    // A backend that appeared during the traffic counts whole; one that went away is missed.
    const ownPids = new Set(named.map((p) => p.pid));
    const pgPids = [...end.cpu.keys()].filter((pid) => !ownPids.has(pid));
    const pgMicros = pgPids.reduce((sum, pid) => sum + delta(pid), 0);
    processes.push(share("postgres", pgMicros, pgPids.reduce((sum, pid) => sum + systemDelta(pid), 0)));

    const nodeMicros = processes.slice(0, nodes.length).reduce((sum, p) => sum + p.micros, 0);
    const nodeSystem = nodes.reduce((sum, n) => sum + systemDelta(n.pid), 0);
    const redisMicros = processes[nodes.length]!.micros;
    const base = trafficMetrics(traffic, cpu, hub);
    const wakeups = named.reduce((sum, p) => sum + (end.wakeups.get(p.pid) ?? Number.NaN) - (start.wakeups.get(p.pid) ?? Number.NaN), 0);
    const metrics: Record<string, number> = {
      rate: base["rate"]!,
      delivered: traffic.delivered,
      p50_ms: base["p50_ms"]!,
      p99_ms: base["p99_ms"]!,
      lost: traffic.lost,
      duplicated: traffic.duplicates,
      reordered: traffic.reordered,
      unexpected: traffic.unexpected,
      total_us: nodeMicros + redisMicros,
      us_per: (nodeMicros + redisMicros) / delivered,
      nodes_us_per: nodeMicros / delivered,
      nodes_user_us_per: (nodeMicros - nodeSystem) / delivered,
      nodes_system_us_per: nodeSystem / delivered,
      redis_us_per: redisMicros / delivered,
      pg_us_per: pgMicros / delivered,
      cpu_pct: (nodeMicros + redisMicros) / 1e4 / seconds,
      per_write: traffic.delivered / Math.max(1, end.writes - start.writes),
      publishes_per_message: (end.publishes - start.publishes) / messages,
      wakeups_per_message: wakeups / messages,
      preemptions_per_message: (end.involuntary - start.involuntary) / messages,
      gen_cpu_pct: cpu.generatorPct,
      others_cpu_pct: cpu.othersPct,
      seconds: traffic.seconds,
    };
    return { case: kase, nodes: nodes.length, run, metrics, processes, notes: trafficNotes(traffic, clients, hub) };
  } finally {
    for (const client of clients) client.destroy();
  }
}

/** The rows of the report: [label, metric key, digits, show B/A]. */
const CASE_ROWS: ReadonlyArray<readonly [string, string, number, boolean]> = [
  ["deliveries/s", "rate", 0, true],
  ["CPU µs/delivery, nodes + Redis", "us_per", 3, true],
  ["… of which the node(s)", "nodes_us_per", 3, true],
  ["… … in user space (utime: JavaScript, GC)", "nodes_user_us_per", 3, true],
  ["… … in the kernel (stime: system calls, socket I/O)", "nodes_system_us_per", 3, true],
  ["… of which Redis", "redis_us_per", 3, false],
  ["PostgreSQL backends CPU µs/delivery (apart)", "pg_us_per", 3, true],
  ["nodes + Redis CPU % (of one CPU)", "cpu_pct", 0, false],
  ["Redis PUBLISH per message", "publishes_per_message", 2, false],
  ["wake-ups per message, nodes + Redis (voluntary context switches of main threads)", "wakeups_per_message", 2, true],
  ["preemptions per message, nodes + Redis (involuntary context switches)", "preemptions_per_message", 2, true],
  ["deliveries per node write syscall", "per_write", 1, true],
  ["latency p50 (ms)", "p50_ms", 2, true],
  ["latency p99 (ms)", "p99_ms", 2, true],
  ["generator CPU %", "gen_cpu_pct", 0, false],
  ["other processes CPU % (noise)", "others_cpu_pct", 0, false],
];

/** Where a process goes in the split: nodes, then Redis, then PostgreSQL. */
function rank(name: string): number {
  return name === "redis" ? 1 : name === "postgres" ? 2 : 0;
}

/** The report: A, B and B/A (medians; CPU per delivery also pooled over runs), then each process's share. */
export function clusterFanoutTable(results: readonly ClusterCaseResult[], format: (value: number, digits: number) => string): string {
  const of = (kase: ClusterCase): ClusterCaseResult[] => results.filter((r) => r.case === kase);
  const a = of("A");
  const b = of("B");
  const nodesB = b[0]?.nodes ?? 0;
  const pooled = (runs: readonly ClusterCaseResult[]): number =>
    runs.reduce((sum, r) => sum + (r.metrics["total_us"] ?? 0), 0) / Math.max(1, runs.reduce((sum, r) => sum + (r.metrics["delivered"] ?? 0), 0));
  const out = [`| metric | A: 1 node | B: ${nodesB} nodes | B/A |`, "|---|---:|---:|---:|"];
  out.push(`| **CPU µs/delivery, nodes + Redis (runs pooled)** | ${format(pooled(a), 3)} | ${format(pooled(b), 3)} | **${format(pooled(b) / pooled(a), 2)}** |`);
  for (const [label, key, digits, ratio] of CASE_ROWS) {
    const va = median(a.map((r) => r.metrics[key] ?? Number.NaN));
    const vb = median(b.map((r) => r.metrics[key] ?? Number.NaN));
    out.push(`| ${label} | ${format(va, digits)} | ${format(vb, digits)} | ${ratio ? format(vb / va, 2) : ""} |`);
  }
  const sum = (key: string): (r: ClusterCaseResult) => number => (r) => r.metrics[key] ?? 0;
  const triple = (runs: readonly ClusterCaseResult[]): string => ["lost", "duplicated", "reordered"].map((k) => format(runs.reduce((t, r) => t + sum(k)(r), 0), 0)).join(" / ");
  out.push(`| lost / duplicated / out of order (all runs) | ${triple(a)} | ${triple(b)} | |`);
  out.push("");
  // Each process's share: median over runs of its µs/delivery and CPU %.
  // The nodes first (case B has them all), then Redis and PostgreSQL.
  const names = [...new Set([...b, ...a].flatMap((r) => r.processes.map((p) => p.name)))].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  out.push(
    "| process | A µs/delivery | A CPU % | A kernel % | A wake-ups/message | B µs/delivery | B CPU % | B kernel % | B wake-ups/message |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const name of names) {
    const cell = (runs: readonly ClusterCaseResult[], pick: (p: ProcessShare) => number, digits: number): string => {
      const values = runs.map((r) => r.processes.find((p) => p.name === name)).filter((p): p is ProcessShare => p !== undefined);
      return values.length === 0 ? "–" : format(median(values.map(pick)), digits);
    };
    out.push(
      `| ${name} | ${cell(a, (p) => p.usPerDelivery, 3)} | ${cell(a, (p) => p.cpuPct, 0)} | ${cell(a, (p) => p.systemPct, 0)} | ${cell(a, (p) => p.wakeupsPerMessage, 2)} | ` +
        `${cell(b, (p) => p.usPerDelivery, 3)} | ${cell(b, (p) => p.cpuPct, 0)} | ${cell(b, (p) => p.systemPct, 0)} | ${cell(b, (p) => p.wakeupsPerMessage, 2)} |`,
    );
  }
  const busy = results.filter((r) => (r.metrics["gen_cpu_pct"] ?? 0) >= 90);
  if (busy.length > 0) out.push("", `WARNING: the generator used >= 90 % of its CPU in ${busy.length} of ${results.length} cases: it may have set the pace there.`);
  return out.join("\n");
}
