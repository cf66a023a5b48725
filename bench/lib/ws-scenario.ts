/**
 * ws-fanout: the cost of a delivery over WebSocket against one over TCP, in the
 * same server process. N raw TCP IRC clients join #tcp and N raw WebSocket clients
 * (IRC over /ws, text frames) join #ws; then, round after round, the same fanout
 * traffic runs in #tcp and in #ws (alternating which goes first), and the server's
 * CPU time (utime+stime, /proc) is read around each phase. The idle half costs
 * nothing meanwhile: it is in the other channel.
 */
import { performance } from "node:perf_hooks";
import { BenchClient } from "./client.js";
import { Hub, type LoadClient } from "./load-client.js";
import { BenchWsClient } from "./ws-client.js";
import { firstErrors, measureFanout, onlyClients, openEach, pool, trafficMetrics, trafficNotes, waitQuiet, type Target } from "./scenarios.js";
import { median } from "./median.js";

export type Transport = "tcp" | "websocket";

export interface WsFanoutOptions {
  /** Clients per transport, all in that transport's channel. */
  readonly clients: number;
  readonly senders: number;
  /** Messages per sender per phase. */
  readonly messages: number;
  readonly window: number;
  readonly textBytes: number;
  /** Rounds of one TCP phase and one WebSocket phase. */
  readonly rounds: number;
  readonly timeoutSeconds: number;
}

export interface WsFanoutPhase {
  readonly transport: Transport;
  readonly round: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

export interface WsFanoutResult {
  readonly phases: readonly WsFanoutPhase[];
  /** Connecting, registering and joining both halves (not measured). */
  readonly setupSeconds: number;
  readonly notes: readonly string[];
}

interface Side {
  readonly transport: Transport;
  readonly channel: string;
  readonly hub: Hub;
  readonly clients: LoadClient[];
}

async function openSide(transport: Transport, target: Target, httpPort: number, count: number, deadline: number): Promise<Side> {
  const hub = new Hub();
  const channel = transport === "tcp" ? "#tcp" : "#ws";
  const opened = await openEach<LoadClient>(count, 100, deadline, (index, timeoutMs) => {
    const nick = `${transport === "tcp" ? "t" : "w"}${index}`;
    return transport === "tcp"
      ? BenchClient.open({ host: target.host, port: target.port, index, nick, hub, timeoutMs })
      : BenchWsClient.open({ host: target.host, port: httpPort, index, nick, hub, timeoutMs });
  });
  const clients = onlyClients(opened);
  const side: Side = { transport, channel, hub, clients };
  if (clients.length !== count) {
    closeSide(side);
    throw new Error(`${transport}: only ${clients.length}/${count} clients registered: ${firstErrors(opened).join("; ")}`);
  }
  // Each client stops parsing lines once it is in: the JOINs of those after it (N²/2
  // lines) are then only scanned for the benchmark marker, as cheaply as possible.
  const joined = await pool(clients.length, 50, async (i) => {
    await clients[i]!.join(channel, 30_000);
    clients[i]!.measuring = true;
  });
  const joinErrors = firstErrors(joined);
  if (joinErrors.length > 0) throw new Error(`${transport}: JOIN failed: ${joinErrors.join("; ")}`);
  return side;
}

function closeSide(side: Side): void {
  for (const client of side.clients) client.destroy();
}

/** What a phase reports (WsFanoutPhase.metrics, in this order). */
const PHASE_METRICS = ["rate", "delivered", "p50_ms", "p99_ms", "lost", "duplicated", "reordered", "unexpected", "server_us", "server_us_per", "per_write", "per_read", "server_cpu_pct", "gen_cpu_pct", "others_cpu_pct", "seconds"] as const;

async function phase(target: Target, side: Side, round: number, options: WsFanoutOptions): Promise<WsFanoutPhase> {
  const { clients, hub } = side;
  const { traffic, cpu } = await measureFanout(target, hub, clients, side.channel, options, Date.now() + options.timeoutSeconds * 1000);
  // The fanout figures, plus the raw server CPU so that phases can be pooled (wsFanoutTable).
  const figures: Record<string, number> = { ...trafficMetrics(traffic, cpu, hub), server_us: cpu.serverMicros };
  const metrics = Object.fromEntries(PHASE_METRICS.map((key) => [key, figures[key] ?? Number.NaN]));
  // The hub's errors are reported once per side, at the end (wsFanout).
  return { transport: side.transport, round, notes: trafficNotes(traffic, clients), metrics };
}

/** Both halves connected at once, then `rounds` × (TCP phase, WebSocket phase), order alternating. */
export async function wsFanout(target: Target, httpPort: number, options: WsFanoutOptions, report: (phase: WsFanoutPhase) => void): Promise<WsFanoutResult> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const t0 = performance.now();
  const sides: Side[] = [];
  try {
    sides.push(await openSide("tcp", target, httpPort, options.clients, deadline));
    sides.push(await openSide("websocket", target, httpPort, options.clients, deadline));
    // Let the JOIN broadcasts (N² lines per channel) drain before measuring.
    await Promise.all(sides.map((side) => waitQuiet(side.hub, 500, 60_000)));
    const setupSeconds = (performance.now() - t0) / 1000;
    const phases: WsFanoutPhase[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? sides : [...sides].reverse();
      for (const side of order) {
        const result = await phase(target, side, round, options);
        phases.push(result);
        report(result);
      }
    }
    const notes: string[] = [];
    for (const side of sides) for (const [reason, n] of side.hub.errors) notes.push(`${side.transport}: ${n}× ${reason}`);
    return { phases, setupSeconds, notes };
  } finally {
    for (const side of sides) closeSide(side);
  }
}

/** The table for the report: per transport, and WebSocket ÷ TCP (pooled, and per round). */
export function wsFanoutTable(result: WsFanoutResult, format: (value: number, digits: number) => string): string {
  const of = (transport: Transport): WsFanoutPhase[] => result.phases.filter((p) => p.transport === transport);
  const pooled = (transport: Transport): number => {
    const phases = of(transport);
    const micros = phases.reduce((sum, p) => sum + (p.metrics["server_us"] ?? 0), 0);
    const delivered = phases.reduce((sum, p) => sum + (p.metrics["delivered"] ?? 0), 0);
    return micros / Math.max(1, delivered);
  };
  const rows: Array<[string, string, number]> = [
    ["deliveries/s", "rate", 0],
    ["server CPU µs/delivery (median of phases)", "server_us_per", 3],
    ["latency p50 (ms)", "p50_ms", 2],
    ["latency p99 (ms)", "p99_ms", 2],
    ["deliveries per server write syscall", "per_write", 1],
    ["deliveries per client read", "per_read", 1],
    ["lost / duplicated / out of order", "lost", 0],
    ["server CPU %", "server_cpu_pct", 0],
    ["generator CPU %", "gen_cpu_pct", 0],
    ["other processes CPU % (noise)", "others_cpu_pct", 0],
  ];
  const out = ["| metric | TCP | WebSocket | WebSocket/TCP |", "|---|---:|---:|---:|"];
  const tcpPooled = pooled("tcp");
  const wsPooled = pooled("websocket");
  out.push(`| **server CPU µs/delivery (all phases pooled)** | ${format(tcpPooled, 3)} | ${format(wsPooled, 3)} | **${format(wsPooled / tcpPooled, 2)}** |`);
  for (const [label, key, digits] of rows) {
    const value = (transport: Transport): number => median(of(transport).map((p) => p.metrics[key] ?? Number.NaN));
    if (key === "lost") {
      const triple = (transport: Transport): string =>
        ["lost", "duplicated", "reordered"].map((k) => format(of(transport).reduce((sum, p) => sum + (p.metrics[k] ?? 0), 0), 0)).join(" / ");
      out.push(`| ${label} | ${triple("tcp")} | ${triple("websocket")} | |`);
      continue;
    }
    const tcp = value("tcp");
    const ws = value("websocket");
    const ratio = ["rate", "server_us_per", "p50_ms", "p99_ms", "per_write"].includes(key) ? format(ws / tcp, 2) : "";
    out.push(`| ${label} | ${format(tcp, digits)} | ${format(ws, digits)} | ${ratio} |`);
  }
  const perRound: number[] = [];
  for (let round = 1; ; round++) {
    const tcp = result.phases.find((p) => p.round === round && p.transport === "tcp");
    const ws = result.phases.find((p) => p.round === round && p.transport === "websocket");
    if (!tcp || !ws) break;
    perRound.push((ws.metrics["server_us_per"] ?? Number.NaN) / (tcp.metrics["server_us_per"] ?? Number.NaN));
  }
  const ratio = wsPooled / tcpPooled;
  out.push("");
  out.push(
    `WebSocket ÷ TCP server CPU per delivery: ${format(ratio, 2)} pooled; per round ${perRound.map((r) => format(r, 2)).join(", ")} ` +
      `(target ≤ 1.25: ${Number.isFinite(ratio) ? (ratio <= 1.25 ? "met" : "MISSED") : "–"}). Set-up (both halves connected and joined, not measured): ${format(result.setupSeconds, 1)} s.`,
  );
  const busy = result.phases.filter((p) => (p.metrics["gen_cpu_pct"] ?? 0) >= 90);
  if (busy.length > 0) out.push(`WARNING: the generator used >= 90 % of its CPU in ${busy.length} of ${result.phases.length} phases: it may have set the pace there.`);
  return out.join("\n");
}
