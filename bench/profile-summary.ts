/**
 * Sums self time per function in a V8 .cpuprofile (from `node --cpu-prof`).
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 15] [--by name|location]
 *
 * Self time of a sample is the time delta that follows it; a function's self time
 * is the sum over the profile nodes with its name (and, by default, its location).
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** Share of all sampled time, idle included. */
  readonly percent: number;
  /** Share of the busy time (without "(idle)"). */
  readonly busyPercent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly busyMs: number;
  readonly functions: readonly FunctionTime[];
}

function isProfile(value: unknown): value is CpuProfile {
  const v = value as Partial<CpuProfile> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

function locationOf(frame: CallFrame): string {
  if (!frame.url) return "";
  const file = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  const short = file.includes("/node_modules/") ? file.slice(file.lastIndexOf("/node_modules/") + 14) : file.includes("/dist/") ? file.slice(file.lastIndexOf("/dist/") + 6) : basename(file);
  return `${short}:${frame.lineNumber + 1}`;
}

export function summariseProfile(profile: CpuProfile, by: "name" | "location" = "location"): ProfileSummary {
  const frames = new Map<number, CallFrame>();
  for (const node of profile.nodes) frames.set(node.id, node.callFrame);
  const selfMicros = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const delta = timeDeltas[i + 1] ?? 0;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + Math.max(0, delta));
  }
  const groups = new Map<string, { name: string; location: string; micros: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = frames.get(id);
    if (!frame) continue;
    const name = frame.functionName || "(anonymous)";
    const location = locationOf(frame);
    const key = by === "name" ? name : `${name} ${location}`;
    const group = groups.get(key) ?? { name, location: by === "name" ? "" : location, micros: 0 };
    group.micros += micros;
    groups.set(key, group);
    total += micros;
    if (name === "(idle)") idle += micros;
  }
  const busy = total - idle;
  const functions = [...groups.values()]
    .sort((a, b) => b.micros - a.micros)
    .map((g) => ({
      name: g.name,
      location: g.location,
      selfMs: g.micros / 1000,
      percent: total > 0 ? (g.micros / total) * 100 : 0,
      busyPercent: busy > 0 && g.name !== "(idle)" ? (g.micros / busy) * 100 : 0,
    }));
  return { totalMs: total / 1000, busyMs: busy / 1000, functions };
}

export function readProfile(file: string): CpuProfile {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 .cpuprofile`);
  return parsed;
}

export function formatSummary(summary: ProfileSummary, top: number): string {
  const rows = summary.functions.slice(0, top);
  const lines = [
    `sampled ${summary.totalMs.toFixed(0)} ms, busy (not idle) ${summary.busyMs.toFixed(0)} ms`,
    "",
    "| # | self ms | % busy | function | location |",
    "|---:|---:|---:|---|---|",
    ...rows.map((f, i) => `| ${i + 1} | ${f.selfMs.toFixed(1)} | ${f.name === "(idle)" ? "–" : f.busyPercent.toFixed(1)} | ${f.name} | ${f.location} |`),
  ];
  return lines.join("\n");
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string", default: "15" }, by: { type: "string", default: "location" } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write("usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 15] [--by name|location]\n");
    process.exit(2);
  }
  const by = values.by === "name" ? "name" : "location";
  process.stdout.write(`${formatSummary(summariseProfile(readProfile(file), by), Number(values.top))}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
