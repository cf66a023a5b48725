/**
 * The "rooms" scenario: many small conversations at a steady rate, the shape of
 * real use. C clients sit in rooms of R (#room0 holds clients 0..R-1, and so
 * on); every client sends `rate` messages a second to its room for `seconds`,
 * paced on a schedule (not windowed), each client's sends spread over the
 * period so the server sees an even stream. Every other member of the room
 * must receive each message once and in order.
 *
 * Latency is the one-way time from the generator's write to its read of each
 * delivery. Server CPU per delivery and per message is read from /proc around
 * the sending and the drain. The generator reports how far its own schedule
 * slipped: a slipping generator means it, not the server, set the pace.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { accountName, benchPassword, registerAccounts, saslLogin } from "./accounts.js";
import { BenchClient } from "./client.js";
import { Hub, MARK_TEXT, nowMicros } from "./load-client.js";
import { closeAll, cpuDelta, cpuMark, firstErrors, onlyClients, openEach, pool, waitQuiet, type Target } from "./scenarios.js";
import { DeliveryLog, summarise } from "./traffic.js";

export interface RoomsOptions {
  readonly clients: number;
  readonly roomSize: number;
  /** Messages a second each client sends. */
  readonly rate: number;
  /** How long every client sends. */
  readonly seconds: number;
  readonly textBytes: number;
  readonly timeoutSeconds: number;
  /**
   * Clients log in to accounts (registered first with REGISTER, then SASL PLAIN) instead
   * of staying guests, as most members of a real server's rooms are: what a message
   * costs per logged-in member (push mentions, for one) then shows. Our server only.
   */
  readonly accounts?: boolean;
}

export interface RoomsMetric {
  readonly key: string;
  readonly label: string;
  readonly digits: number;
}

export const ROOMS_METRICS: readonly RoomsMetric[] = [
  { key: "msgs_per_s", label: "messages/s sent", digits: 0 },
  { key: "rate", label: "deliveries/s", digits: 0 },
  { key: "p50_ms", label: "latency p50 (ms)", digits: 2 },
  { key: "p99_ms", label: "latency p99 (ms)", digits: 2 },
  { key: "max_ms", label: "latency max (ms)", digits: 2 },
  { key: "server_us_per", label: "server CPU µs/delivery", digits: 2 },
  { key: "server_us_per_msg", label: "server CPU µs/message", digits: 1 },
  { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
  { key: "per_write", label: "deliveries per server write syscall", digits: 2 },
  { key: "lost", label: "lost", digits: 0 },
  { key: "duplicated", label: "duplicated", digits: 0 },
  { key: "reordered", label: "out of order", digits: 0 },
  { key: "unexpected", label: "misdelivered", digits: 0 },
  { key: "schedule_slip_ms", label: "generator schedule slip, max (ms)", digits: 1 },
  { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
  { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
  { key: "seconds", label: "duration (s)", digits: 2 },
];

export interface RoomsResult {
  readonly target: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

/** How often the pacer wakes to send what has come due. */
const TICK_MS = 5;

export async function rooms(target: Target, options: RoomsOptions): Promise<RoomsResult> {
  const { clients: count, roomSize, rate, seconds, textBytes } = options;
  if (roomSize < 2) throw new Error("rooms of fewer than 2 have no one to deliver to");
  const hub = new Hub();
  const password = options.accounts ? benchPassword() : "";
  if (options.accounts) await registerAccounts(target, hub, count, password, 8, options.timeoutSeconds * 1000);
  let deadline = Date.now() + options.timeoutSeconds * 1000;
  const opened = await openEach(count, 100, deadline, async (index, timeoutMs) =>
    options.accounts
      ? (await saslLogin(target, hub, index, `r${index}`, accountName(index), password, timeoutMs)).client
      : await BenchClient.open({ host: target.host, port: target.port, index, nick: `r${index}`, hub, timeoutMs }),
  );
  const clients = onlyClients(opened);
  // Logins (two argon2id hashes a client on the server's core) must not eat the run's time.
  if (options.accounts) deadline = Date.now() + options.timeoutSeconds * 1000;
  const notes: string[] = [];
  try {
    if (clients.length !== count) throw new Error(`only ${clients.length}/${count} clients registered: ${firstErrors(opened).join("; ")}`);
    const roomOf = (index: number): number => Math.floor(index / roomSize);
    const joined = await pool(count, 50, (i) => clients[i]!.join(`#room${roomOf(i)}`, 30_000));
    const joinErrors = firstErrors(joined);
    if (joinErrors.length > 0) throw new Error(`JOIN failed: ${joinErrors.join("; ")}`);
    await waitQuiet(hub, 500, 30_000);
    for (const client of clients) client.measuring = true;

    const perClient = Math.max(1, Math.round(rate * seconds));
    const membersOf = (room: number): number => Math.min(roomSize, count - room * roomSize);
    let expected = 0;
    for (let i = 0; i < count; i++) expected += (membersOf(roomOf(i)) - 1) * perClient;
    // One stream per (receiver, slot of the sender in the room).
    const log = new DeliveryLog(count * roomSize, perClient, expected);
    hub.onMark = (receiver, sid, seq, sentMicros, now) => {
      const r = receiver.index;
      if (sid >= count || seq >= perClient || sid === r || roomOf(sid) !== roomOf(r)) log.unexpected++;
      else log.record(r * roomSize + (sid % roomSize), seq, sentMicros, now);
    };

    const periodMs = 1000 / rate;
    const sent = new Int32Array(count);
    const pad = "x".repeat(Math.max(0, textBytes - 24));
    let slip = 0;
    hub.measuredReads = 0;
    const start = cpuMark(target);
    const t0 = performance.now();
    const firstSend = nowMicros();
    log.lastDelivery = firstSend;
    let totalSent = 0;
    // Client i's k-th message is due at t0 + (i / count + k) * period: an even stream.
    while (totalSent < count * perClient && Date.now() < deadline) {
      const elapsed = performance.now() - t0;
      const now = nowMicros();
      for (let i = 0; i < count; i++) {
        const due = Math.min(perClient, Math.floor(elapsed / periodMs - i / count) + 1);
        if (due <= sent[i]!) continue;
        // How late the oldest message now sent is against its schedule.
        slip = Math.max(slip, elapsed - (sent[i]! + i / count) * periodMs);
        let out = "";
        for (let seq = sent[i]!; seq < due; seq++) out += `PRIVMSG #room${roomOf(i)} :${MARK_TEXT}${i} ${seq} ${now} ${pad}\r\n`;
        totalSent += due - sent[i]!;
        sent[i] = due;
        clients[i]!.send(out);
      }
      await sleep(TICK_MS);
    }
    // The drain: until everything arrived, nothing new came for 5 s, or the deadline.
    let lastCount = -1;
    let lastProgress = performance.now();
    while (log.delivered < expected && Date.now() < deadline && performance.now() - lastProgress < 5000) {
      if (log.delivered !== lastCount) {
        lastCount = log.delivered;
        lastProgress = performance.now();
      }
      await sleep(20);
    }
    const cpu = cpuDelta(target, start);
    hub.onMark = () => {};
    const { delivered } = log;
    const wallSeconds = Math.max(1e-6, (log.lastDelivery - firstSend) / 1e6);
    const latency = summarise(log.latencies());
    if (delivered < expected) notes.push(`${expected - delivered} of ${expected} deliveries missing at the end`);
    const closed = clients.filter((c) => c.closed);
    if (closed.length > 0) notes.push(`${closed.length} clients disconnected (e.g. ${closed[0]!.closeReason})`);
    for (const [reason, n] of hub.errors) notes.push(`${n}× ${reason}`);
    return {
      target: target.name,
      metrics: {
        msgs_per_s: totalSent / wallSeconds,
        rate: delivered / wallSeconds,
        delivered,
        expected,
        p50_ms: latency.p50,
        p99_ms: latency.p99,
        max_ms: latency.max,
        server_us_per: cpu.serverMicros / Math.max(1, delivered),
        server_us_per_msg: cpu.serverMicros / Math.max(1, totalSent),
        server_cpu_pct: cpu.serverPct,
        per_write: delivered / Math.max(1, cpu.serverWrites),
        lost: expected - delivered,
        duplicated: log.duplicates,
        reordered: log.reordered,
        unexpected: log.unexpected,
        schedule_slip_ms: slip,
        gen_cpu_pct: cpu.generatorPct,
        others_cpu_pct: cpu.othersPct,
        seconds: wallSeconds,
      },
      notes,
    };
  } finally {
    await closeAll(clients);
  }
}
