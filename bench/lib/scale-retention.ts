/**
 * The retention pass of the scale study. Retention runs when the server starts (and
 * hourly after), so the server is started with `history.maxAgeDays` set to cut off
 * the oldest share of the history; chat starts as soon as it listens and goes on
 * until the "old messages pruned" log line, and for `chatSeconds` after it. Chat
 * latency during the pass is compared with the same chat after it on the same server,
 * and with the idle chat measured on the full database before.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { nowMicros } from "./load-client.js";
import { ChatProbe } from "./scale-chat.js";
import { chatSummary, type RunResult } from "./scale-scenario.js";
import { logLines, type ScaleServer } from "./scale-server.js";
import { cpuDelta, cpuMark, type Target } from "./scenarios.js";

const DAY_MS = 24 * 3600 * 1000;

export interface RetentionResult {
  readonly deleted: number;
  /** From spawning the server to the pass's log line (the server's start, ~0.5 s, included). */
  readonly passSeconds: number;
  /** Chat deliveries sent while the pass ran. */
  readonly during: RunResult["chat"];
  /** Chat deliveries sent from 1 s after the pass on the same server. */
  readonly after: RunResult["chat"];
  readonly serverCpuPct: number;
  readonly databaseCpuPct: number;
  readonly othersPct: number;
  readonly notes: string[];
}

/** history.maxAgeDays that deletes the messages older than `cutoff`. */
export function maxAgeDaysFor(cutoff: number): number {
  return (Date.now() - cutoff) / DAY_MS;
}

export async function retentionPass(
  server: ScaleServer,
  target: Target,
  options: { chatRate: number; chatSeconds: number; timeoutMs: number; passTimeoutSeconds: number },
): Promise<RetentionResult> {
  const notes: string[] = [];
  // Maps the log's Date.now() times onto the generator's clock (nowMicros).
  const offset = Date.now() * 1000 - nowMicros();
  const channel = "#retention";
  const probe = await ChatProbe.open(target, channel, options.timeoutMs);
  const chatStart = nowMicros();
  const mark = cpuMark(target);
  probe.start(channel, options.chatRate, 100);
  const deadline = Date.now() + options.passTimeoutSeconds * 1000;
  let line = logLines(server.logFile, "old messages pruned")[0];
  while (!line && Date.now() < deadline) {
    if (logLines(server.logFile, "pruning history failed").length > 0) {
      notes.push("the retention pass failed (see the server log)");
      break;
    }
    await sleep(100);
    line = logLines(server.logFile, "old messages pruned")[0];
  }
  const cpu = cpuDelta(target, mark);
  const passEnd = line ? line.time * 1000 - offset : nowMicros();
  if (!line) notes.push(`no "old messages pruned" line within ${options.passTimeoutSeconds} s: the pass was still running (or deleted nothing)`);
  if (passEnd < chatStart) notes.push("the pass ended before the chat started: use a bigger database or share");
  await sleep(1000 + options.chatSeconds * 1000);
  const samples = await probe.stop();
  return {
    deleted: line ? Number(line["deleted"]) : Number.NaN,
    passSeconds: line ? (line.time - server.spawnedAt) / 1000 : Number.NaN,
    during: chatSummary(samples, chatStart, passEnd),
    after: chatSummary(samples, passEnd + 1_000_000, Number.POSITIVE_INFINITY),
    serverCpuPct: cpu.serverPct,
    databaseCpuPct: cpu.helperPct,
    othersPct: cpu.othersPct,
    notes,
  };
}
