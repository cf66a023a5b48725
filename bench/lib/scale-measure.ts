/**
 * Times one kind of request of the scale study on several servers at once (the empty
 * and the full database, both running, both pinned to the same CPU): request i goes
 * to every server in turn, in ABBA order, one at a time, so that whatever else the
 * machine does meanwhile hits both alike and their ratio holds even when the absolute
 * figures move. Per server: each request's latency and the CPU the server (and its
 * PostgreSQL backends) spent over the whole series.
 */
import { nowMicros } from "./load-client.js";
import { cpuDelta, cpuMark, type Target } from "./scenarios.js";
import { summarise } from "./traffic.js";

export interface OpResult {
  readonly name: string;
  readonly ok: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Server CPU per request (ms), all threads. */
  readonly serverMs: number;
  /** PostgreSQL backends' CPU per request (ms); NaN on SQLite. */
  readonly databaseMs: number;
  /** This generator's CPU over the series (% of one CPU). */
  readonly generatorPct: number;
  /** Every other process's CPU over the series, the servers under test excluded (% of one CPU; the machine has 2). */
  readonly othersPct: number;
  /** Items the answers held on average (messages of a page, search results), when counted. */
  readonly items: number;
  readonly error: string | null;
}

/**
 * `run(side, i)` makes request i on server `side` and resolves to how many items its
 * answer held (or 0). Returns one result per target, in the order given.
 */
export async function measureOps(targets: readonly Target[], name: string, count: number, warmup: number, run: (side: number, i: number) => Promise<number>): Promise<OpResult[]> {
  const sides = targets.map(() => ({ micros: [] as number[], items: 0, failed: 0, error: null as string | null }));
  for (let i = 0; i < warmup; i++) {
    for (let side = 0; side < targets.length; side++) {
      try {
        await run(side, count + i);
      } catch (e) {
        sides[side]!.error ??= `warm-up: ${(e as Error).message}`;
      }
    }
  }
  const marks = targets.map((t) => cpuMark(t));
  for (let i = 0; i < count; i++) {
    const order = targets.map((_, side) => side);
    if (i % 2 === 1) order.reverse();
    for (const side of order) {
      const s = sides[side]!;
      const t0 = nowMicros();
      try {
        s.items += await run(side, i);
        s.micros.push(nowMicros() - t0);
      } catch (e) {
        s.failed++;
        s.error ??= (e as Error).message;
      }
    }
  }
  const cpus = targets.map((t, side) => cpuDelta(t, marks[side]!));
  const testedPct = cpus.reduce((sum, c) => sum + c.serverPct + (Number.isFinite(c.helperPct) ? c.helperPct : 0), 0);
  return sides.map((s, side) => {
    const cpu = cpus[side]!;
    const own = cpu.serverPct + (Number.isFinite(cpu.helperPct) ? cpu.helperPct : 0);
    const latency = summarise(Float64Array.from(s.micros));
    return {
      name,
      ok: s.micros.length,
      failed: s.failed,
      p50: latency.p50,
      p99: latency.p99,
      max: latency.max,
      serverMs: cpu.serverMicros / 1000 / Math.max(1, count),
      databaseMs: cpu.helperMicros / 1000 / Math.max(1, count),
      generatorPct: cpu.generatorPct,
      othersPct: Math.max(0, cpu.othersPct - (testedPct - own)),
      items: s.items / Math.max(1, s.micros.length),
      error: s.error,
    };
  });
}
