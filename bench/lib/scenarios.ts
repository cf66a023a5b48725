/**
 * The benchmark scenarios. Each one works against any IRC server given by host
 * and port; when the server's PID is known (same machine) it also reads the
 * server's CPU time and resident memory from /proc.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchClient } from "./client.js";
import { Hub, nowMicros, type LoadClient } from "./load-client.js";
import { ioSyscalls, machineBusyMicros, processCpuMicros, rssKiB, selfCpuMicros, threadCpuMicros, threadRunDelayMicros } from "./proc.js";
import { runTraffic, summarise, type Flow, type TrafficResult } from "./traffic.js";

export type ScenarioName = "fanout" | "connect" | "direct" | "logins" | "login-storm";
/** The scenarios run against both servers (`--scenario all`); the others need accounts, which ngircd lacks. */
export const SCENARIOS: readonly ScenarioName[] = ["fanout", "connect", "direct"];

export interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The server's PID for /proc readings, or null for a remote server. */
  readonly pid: number | null;
  /**
   * Other processes that work for the server (PostgreSQL backends serving its
   * connections): their CPU is reported apart and not counted as noise.
   */
  readonly helperPids?: () => readonly number[];
}

export interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly target: string;
  /** Keys are those of METRICS[scenario]; NaN when not measurable. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly digits: number;
}

const latencyMetrics: MetricDef[] = [
  { key: "p50_ms", label: "latency p50 (ms)", digits: 2 },
  { key: "p99_ms", label: "latency p99 (ms)", digits: 2 },
  { key: "max_ms", label: "latency max (ms)", digits: 2 },
  { key: "lost", label: "lost", digits: 0 },
  { key: "duplicated", label: "duplicated", digits: 0 },
  { key: "reordered", label: "out of order", digits: 0 },
  { key: "unexpected", label: "misdelivered", digits: 0 },
];

export const METRICS: Readonly<Record<ScenarioName, readonly MetricDef[]>> = {
  fanout: [
    { key: "rate", label: "deliveries/s", digits: 0 },
    ...latencyMetrics,
    { key: "server_us_per", label: "server CPU µs/delivery", digits: 3 },
    { key: "per_write", label: "deliveries per server write syscall", digits: 1 },
    { key: "per_read", label: "deliveries per client read", digits: 1 },
    { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
    { key: "seconds", label: "duration (s)", digits: 2 },
  ],
  connect: [
    { key: "rate", label: "registrations/s", digits: 0 },
    { key: "registered", label: "registered", digits: 0 },
    { key: "failed", label: "failed", digits: 0 },
    { key: "rss_before_mib", label: "RSS before (MiB)", digits: 1 },
    { key: "rss_after_mib", label: "RSS after (MiB)", digits: 1 },
    { key: "rss_per_conn_kib", label: "RSS per connection (KiB)", digits: 2 },
    { key: "server_us_per", label: "server CPU µs/registration", digits: 1 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
  ],
  direct: [
    { key: "rate", label: "messages/s", digits: 0 },
    ...latencyMetrics,
    { key: "server_us_per", label: "server CPU µs/message", digits: 3 },
    { key: "per_write", label: "messages per server write syscall", digits: 1 },
    { key: "per_read", label: "messages per client read", digits: 1 },
    { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
    { key: "seconds", label: "duration (s)", digits: 2 },
  ],
  // Ours only (accounts): bench/lib/accounts.ts.
  logins: [
    { key: "rate", label: "logins/s", digits: 1 },
    { key: "ok", label: "logins completed", digits: 0 },
    { key: "failed", label: "logins failed", digits: 0 },
    { key: "p50_ms", label: "login latency p50 (ms, connect → 001)", digits: 1 },
    { key: "p99_ms", label: "login latency p99 (ms)", digits: 1 },
    { key: "max_ms", label: "login latency max (ms)", digits: 1 },
    { key: "server_ms_per", label: "server CPU ms/login", digits: 2 },
    { key: "main_ms_per", label: "… of which the main thread (event loop)", digits: 2 },
    { key: "pool_ms_per", label: "… of which other threads (libuv pool: argon2; GC helpers)", digits: 2 },
    { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
    { key: "argon2_wall_ms", label: "argon2id verify, one at a time in-process (ms wall)", digits: 2 },
    { key: "argon2_cpu_ms", label: "argon2id verify CPU (ms)", digits: 2 },
    { key: "per_argon2", label: "server CPU per login ÷ argon2id verify CPU", digits: 2 },
    { key: "argon2_bound", label: "logins/s if one CPU only verified (1000 ÷ verify CPU ms)", digits: 1 },
    { key: "rss_peak_mib", label: "server RSS peak (VmHWM, MiB)", digits: 1 },
    { key: "register_seconds", label: "REGISTER of the accounts (s, not measured)", digits: 2 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
    { key: "seconds", label: "duration (s)", digits: 2 },
  ],
  "login-storm": [
    { key: "idle_p50_ms", label: "chat latency p50, idle (ms)", digits: 3 },
    { key: "idle_p99_ms", label: "chat latency p99, idle (ms)", digits: 3 },
    { key: "idle_max_ms", label: "chat latency max, idle (ms)", digits: 3 },
    { key: "storm_p50_ms", label: "chat latency p50, storm (ms)", digits: 3 },
    { key: "storm_p99_ms", label: "chat latency p99, storm (ms)", digits: 3 },
    { key: "storm_max_ms", label: "chat latency max, storm (ms)", digits: 3 },
    { key: "p50_ratio", label: "p50 storm ÷ idle", digits: 2 },
    { key: "p99_ratio", label: "p99 storm ÷ idle (target ≤ 2)", digits: 2 },
    { key: "idle_samples", label: "deliveries measured, idle", digits: 0 },
    { key: "storm_samples", label: "deliveries measured, storm", digits: 0 },
    { key: "lost", label: "chat messages lost", digits: 0 },
    { key: "logins_ok", label: "storm logins completed", digits: 0 },
    { key: "logins_failed", label: "storm logins failed", digits: 0 },
    { key: "rounds", label: "rounds (idle, then storm)", digits: 0 },
    { key: "storm_seconds", label: "storm duration per round (s, first connect → last 001)", digits: 2 },
    { key: "login_p50_ms", label: "storm login latency p50 (ms)", digits: 0 },
    { key: "login_max_ms", label: "storm login latency max (ms)", digits: 0 },
    { key: "idle_server_cpu_pct", label: "server CPU %, idle", digits: 0 },
    { key: "storm_server_cpu_pct", label: "server CPU %, storm", digits: 0 },
    { key: "idle_main_cpu_pct", label: "server main thread CPU %, idle", digits: 0 },
    { key: "storm_main_cpu_pct", label: "server main thread CPU %, storm", digits: 0 },
    { key: "idle_main_wait_pct", label: "server main thread runnable but without a CPU (% of time), idle", digits: 1 },
    { key: "storm_main_wait_pct", label: "server main thread runnable but without a CPU (% of time), storm", digits: 1 },
    { key: "gen_cpu_pct", label: "generator CPU %, storm", digits: 0 },
    { key: "idle_others_cpu_pct", label: "other processes CPU %, idle (noise)", digits: 0 },
    { key: "storm_others_cpu_pct", label: "other processes CPU %, storm (noise)", digits: 0 },
  ],
};

export interface FanoutOptions {
  readonly clients: number;
  readonly senders: number;
  readonly messages: number;
  readonly window: number;
  readonly textBytes: number;
  readonly timeoutSeconds: number;
  readonly channel: string;
}

export interface DirectOptions {
  readonly pairs: number;
  readonly messages: number;
  readonly window: number;
  readonly textBytes: number;
  readonly timeoutSeconds: number;
}

export interface ConnectOptions {
  readonly connections: number;
  /** Registrations in flight at once. */
  readonly concurrency: number;
  /** Wait after the last registration before reading RSS. */
  readonly settleSeconds: number;
  readonly timeoutSeconds: number;
}

/** Runs fn(0..count-1) with at most `concurrency` in flight; failures are collected, not thrown. */
export async function pool<T>(count: number, concurrency: number, fn: (index: number) => Promise<T>): Promise<Array<T | Error>> {
  const results = new Array<T | Error>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        results[index] = await fn(index);
      } catch (error) {
        results[index] = error instanceof Error ? error : new Error(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Waits until no client has received anything for `quietMs` (at most `maxMs`). */
export async function waitQuiet(hub: Hub, quietMs: number, maxMs: number): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < maxMs && performance.now() - hub.lastReceive < quietMs) await sleep(25);
}

export function firstErrors(results: ReadonlyArray<unknown>, max = 3): string[] {
  const counts = new Map<string, number>();
  for (const result of results) {
    if (!(result instanceof Error)) continue;
    const message = result.message.replace(/^[a-z]\d+: /, "");
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts].slice(0, max).map(([message, n]) => `${n}× ${message}`);
}

/** Runs open(0..count-1) with `concurrency` in flight, each with what is left until `deadline` (a Date.now() value, at most 30 s); none starts after it. */
export function openEach<C extends LoadClient>(count: number, concurrency: number, deadline: number, open: (index: number, timeoutMs: number) => Promise<C>): Promise<Array<C | Error>> {
  return pool(count, concurrency, (index) => {
    const timeoutMs = Math.min(30_000, deadline - Date.now());
    if (timeoutMs <= 0) return Promise.reject(new Error("scenario timeout reached before connecting"));
    return open(index, timeoutMs);
  });
}

/** Opens and registers `count` TCP clients named prefix0, prefix1, … */
function openClients(target: Target, hub: Hub, count: number, prefix: string, concurrency: number, deadline: number): Promise<Array<BenchClient | Error>> {
  return openEach(count, concurrency, deadline, (index, timeoutMs) =>
    BenchClient.open({ host: target.host, port: target.port, index, nick: `${prefix}${index}`, hub, timeoutMs }),
  );
}

export function onlyClients<C extends LoadClient>(results: ReadonlyArray<C | Error>): C[] {
  return results.filter((r): r is C => !(r instanceof Error));
}

export async function closeAll(clients: readonly LoadClient[]): Promise<void> {
  for (const client of clients) client.destroy();
  await sleep(50);
}

export interface CpuMark {
  readonly server: number | null;
  /** The server's main thread (its event loop, for Node). */
  readonly serverMain: number | null;
  /** How long the server's main thread has waited, runnable, for a CPU. */
  readonly serverMainWait: number | null;
  /** CPU µs of each helper process (Target.helperPids) at the mark. */
  readonly helpers: ReadonlyMap<number, number>;
  readonly serverWrites: number | null;
  readonly generator: number;
  readonly machine: number;
  readonly wall: number;
}

export function cpuMark(target: Target): CpuMark {
  const io = target.pid === null ? null : ioSyscalls(target.pid);
  const helpers = new Map<number, number>();
  for (const pid of target.helperPids?.() ?? []) {
    const micros = processCpuMicros(pid);
    if (micros !== null) helpers.set(pid, micros);
  }
  const serverMain = target.pid === null ? null : threadCpuMicros(target.pid);
  const serverMainWait = target.pid === null ? null : threadRunDelayMicros(target.pid);
  return { server: target.pid === null ? null : processCpuMicros(target.pid), serverMain, serverMainWait, helpers, serverWrites: io?.writes ?? null, generator: selfCpuMicros(), machine: machineBusyMicros(), wall: nowMicros() };
}

export interface CpuUse {
  readonly serverMicros: number;
  /** Of serverMicros, the main thread's: for Node the event loop; the rest is the thread pool, GC helpers and so on. */
  readonly serverMainMicros: number;
  readonly serverMainPct: number;
  /** Time the main thread was runnable but had no CPU (other threads of the server, other processes). */
  readonly serverMainWaitMicros: number;
  readonly serverMainWaitPct: number;
  /** CPU of the helper processes (e.g. PostgreSQL backends) over the interval; NaN when the target has none. */
  readonly helperMicros: number;
  readonly helperPct: number;
  /** write/writev system calls of the server. */
  readonly serverWrites: number;
  /** Percentages of one CPU over the interval. */
  readonly serverPct: number;
  readonly generatorPct: number;
  /** Everything else the machine ran meanwhile (other processes, interrupts): the noise. */
  readonly othersPct: number;
  readonly wallMicros: number;
}

export function cpuDelta(target: Target, start: CpuMark): CpuUse {
  const end = cpuMark(target);
  const wall = Math.max(1, end.wall - start.wall);
  const server = start.server !== null && end.server !== null ? end.server - start.server : Number.NaN;
  const main = start.serverMain !== null && end.serverMain !== null ? end.serverMain - start.serverMain : Number.NaN;
  const mainWait = start.serverMainWait !== null && end.serverMainWait !== null ? end.serverMainWait - start.serverMainWait : Number.NaN;
  // A helper that appeared during the interval counts whole; one that went away is missed.
  let helper = target.helperPids === undefined ? Number.NaN : 0;
  for (const [pid, micros] of end.helpers) helper += micros - (start.helpers.get(pid) ?? 0);
  const generator = end.generator - start.generator;
  const others = end.machine - start.machine - generator - (Number.isFinite(server) ? server : 0) - (Number.isFinite(helper) ? helper : 0);
  const writes = start.serverWrites !== null && end.serverWrites !== null ? end.serverWrites - start.serverWrites : Number.NaN;
  return {
    serverMicros: server,
    serverMainMicros: main,
    serverMainPct: (main / wall) * 100,
    serverMainWaitMicros: mainWait,
    serverMainWaitPct: (mainWait / wall) * 100,
    helperMicros: helper,
    helperPct: (helper / wall) * 100,
    serverWrites: writes,
    serverPct: (server / wall) * 100,
    generatorPct: (generator / wall) * 100,
    othersPct: Math.max(0, (others / wall) * 100),
    wallMicros: wall,
  };
}

/** The figures of a traffic run (fanout, direct): keys as in METRICS, and a few more for the JSON. */
export function trafficMetrics(traffic: TrafficResult, cpu: CpuUse, hub: Hub): Record<string, number> {
  const latency = summarise(traffic.latenciesMicros);
  return {
    rate: traffic.delivered / traffic.seconds,
    delivered: traffic.delivered,
    expected: traffic.expected,
    p50_ms: latency.p50,
    p99_ms: latency.p99,
    max_ms: latency.max,
    mean_ms: latency.mean,
    lost: traffic.lost,
    duplicated: traffic.duplicates,
    reordered: traffic.reordered,
    unexpected: traffic.unexpected,
    server_us_per: cpu.serverMicros / Math.max(1, traffic.delivered),
    helper_us_per: cpu.helperMicros / Math.max(1, traffic.delivered),
    helper_cpu_pct: cpu.helperPct,
    per_read: traffic.delivered / Math.max(1, hub.measuredReads),
    per_write: traffic.delivered / Math.max(1, cpu.serverWrites),
    server_cpu_pct: cpu.serverPct,
    gen_cpu_pct: cpu.generatorPct,
    others_cpu_pct: cpu.othersPct,
    seconds: traffic.seconds,
  };
}

/** An incomplete run, lost clients and (given the hub) the errors the generator noted. */
export function trafficNotes(traffic: TrafficResult, clients: readonly LoadClient[], hub?: Hub): string[] {
  const notes: string[] = [];
  if (traffic.outcome !== "complete") notes.push(`traffic ${traffic.outcome} after ${traffic.delivered}/${traffic.expected} deliveries`);
  const closed = clients.filter((c) => c.closed);
  if (closed.length > 0) notes.push(`${closed.length} clients disconnected (e.g. ${closed[0]!.closeReason})`);
  if (hub) for (const [reason, n] of hub.errors) notes.push(`${n}× ${reason}`);
  return notes;
}

export interface FanoutTraffic {
  readonly senders: number;
  readonly messages: number;
  readonly window: number;
  readonly textBytes: number;
}

/**
 * The measured part of a fanout: the first `senders` of `clients` (all joined to
 * `channel`, in measuring mode) send to it and everyone else receives; the
 * server's and the generator's CPU are read around it.
 */
export async function measureFanout(target: Target, hub: Hub, clients: readonly LoadClient[], channel: string, options: FanoutTraffic, deadline: number): Promise<{ traffic: TrafficResult; cpu: CpuUse }> {
  const senders = Math.min(options.senders, clients.length);
  const flows: Flow[] = clients.slice(0, senders).map((sender) => ({ sender, target: channel, recipients: clients.length - 1 }));
  hub.measuredReads = 0;
  const start = cpuMark(target);
  const traffic = await runTraffic(hub, {
    flows,
    receivers: clients.length,
    slots: senders,
    slotOf: (receiver, sid) => (receiver === sid ? -1 : sid),
    messages: options.messages,
    window: options.window,
    textBytes: options.textBytes,
    stallMs: 5000,
    deadline,
  });
  return { traffic, cpu: cpuDelta(target, start) };
}

/** C clients in one channel; the first S send M messages each; everyone else receives them. */
export async function fanout(target: Target, options: FanoutOptions): Promise<ScenarioResult> {
  const hub = new Hub();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const opened = await openClients(target, hub, options.clients, "f", 100, deadline);
  const clients = onlyClients(opened);
  try {
    if (clients.length !== options.clients) throw new Error(`only ${clients.length}/${options.clients} clients registered: ${firstErrors(opened).join("; ")}`);
    const joined = await pool(clients.length, 50, (i) => clients[i]!.join(options.channel, 30_000));
    const joinErrors = firstErrors(joined);
    if (joinErrors.length > 0) throw new Error(`JOIN failed: ${joinErrors.join("; ")}`);
    // Let the JOIN broadcasts (C² lines) drain before measuring.
    await waitQuiet(hub, 500, 30_000);
    for (const client of clients) client.measuring = true;
    const { traffic, cpu } = await measureFanout(target, hub, clients, options.channel, options, deadline);
    return { scenario: "fanout", target: target.name, metrics: trafficMetrics(traffic, cpu, hub), notes: trafficNotes(traffic, clients, hub) };
  } finally {
    await closeAll(clients);
  }
}

/** P pairs of clients; each client sends M direct messages to its partner. */
export async function direct(target: Target, options: DirectOptions): Promise<ScenarioResult> {
  const hub = new Hub();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const count = options.pairs * 2;
  const opened = await openClients(target, hub, count, "d", 100, deadline);
  const clients = onlyClients(opened);
  try {
    if (clients.length !== count) throw new Error(`only ${clients.length}/${count} clients registered: ${firstErrors(opened).join("; ")}`);
    await waitQuiet(hub, 300, 10_000);
    for (const client of clients) client.measuring = true;
    const flows: Flow[] = clients.map((sender, i) => ({ sender, target: clients[i ^ 1]!.nick, recipients: 1 }));
    hub.measuredReads = 0;
    const start = cpuMark(target);
    const traffic = await runTraffic(hub, {
      flows,
      receivers: count,
      slots: 1,
      slotOf: (receiver, sid) => (sid === (receiver ^ 1) ? 0 : -1),
      messages: options.messages,
      window: options.window,
      textBytes: options.textBytes,
      stallMs: 5000,
      deadline,
    });
    const cpu = cpuDelta(target, start);
    return { scenario: "direct", target: target.name, metrics: trafficMetrics(traffic, cpu, hub), notes: trafficNotes(traffic, clients, hub) };
  } finally {
    await closeAll(clients);
  }
}

/** N clients register and stay idle; the server's RSS growth per connection. */
export async function connect(target: Target, options: ConnectOptions): Promise<ScenarioResult> {
  const hub = new Hub();
  const notes: string[] = [];
  const rssBefore = target.pid === null ? null : rssKiB(target.pid);
  const start = cpuMark(target);
  const t0 = performance.now();
  const opened = await openClients(target, hub, options.connections, "c", options.concurrency, Date.now() + options.timeoutSeconds * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(target, start);
  const clients = onlyClients(opened);
  try {
    const failed = opened.length - clients.length;
    if (failed > 0) notes.push(`registration failures: ${firstErrors(opened).join("; ")}`);
    await waitQuiet(hub, 1000, 20_000);
    await sleep(options.settleSeconds * 1000);
    const rssAfter = target.pid === null ? null : rssKiB(target.pid);
    const stillOpen = clients.filter((c) => !c.closed).length;
    if (stillOpen !== clients.length) notes.push(`${clients.length - stillOpen} registered clients were disconnected before the RSS reading`);
    const perConn = rssBefore !== null && rssAfter !== null ? (rssAfter - rssBefore) / Math.max(1, stillOpen) : Number.NaN;
    return {
      scenario: "connect",
      target: target.name,
      metrics: {
        rate: clients.length / seconds,
        registered: clients.length,
        failed,
        rss_before_mib: rssBefore === null ? Number.NaN : rssBefore / 1024,
        rss_after_mib: rssAfter === null ? Number.NaN : rssAfter / 1024,
        rss_per_conn_kib: perConn,
        server_us_per: cpu.serverMicros / Math.max(1, clients.length),
        gen_cpu_pct: cpu.generatorPct,
        others_cpu_pct: cpu.othersPct,
      },
      notes,
    };
  } finally {
    await closeAll(clients);
  }
}
