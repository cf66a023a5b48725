/**
 * Benchmarks CmyMessage against ngircd on this machine.
 *
 *   npm run bench -- [--scenario fanout|connect|direct|all] [--target ours|ngircd|both] [--quick] ...
 *
 * For every scenario and repetition it starts a fresh server (ours from dist/,
 * ngircd from /usr/sbin) pinned to CPU 1, runs the load generator in this
 * process pinned to CPU 0, and stops the server. It prints one line per run and,
 * at the end, a table of medians with the ratio ours/ngircd. See bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { cpuCount, openFileLimit, pinSelf, raiseOpenFileLimit } from "./lib/proc.js";
import { connect, direct, fanout, METRICS, SCENARIOS, type ScenarioName, type ScenarioResult } from "./lib/scenarios.js";
import { makeBaseDir, REPO_ROOT, startNgircd, startOurs, type ServerHandle } from "./lib/servers.js";
import { formatSummary, readProfile, summariseProfile } from "./profile-summary.js";

type TargetName = "ours" | "ngircd";

const USAGE = `usage: npm run bench -- [options]
  --scenario fanout|connect|direct|all   (all)
  --target ours|ngircd|both              (both)
  --clients N      fanout: clients in the channel         (500; quick 50)
  --senders N      fanout: clients that send             (5; quick 2)
  --messages N     fanout and direct: messages per sender (200; quick 50)
  --window N       messages per sender in flight          (20)
  --size N         bytes of message text                  (64)
  --connections N  connect: idle registered clients       (10000; quick 500)
  --pairs N        direct: pairs of clients               (250; quick 20)
  --concurrency N  connect: registrations in flight       (50)
  --history on|off our server's history.enabled (store each message before delivery) (on, its default)
  --repeat N       runs per scenario and target; the table shows medians (3; quick 1)
  --timeout S      limit per run in seconds               (120)
  --quick          small sizes, one run: a smoke test
  --profile        also run fanout once against ours under node --cpu-prof and summarise it
  --profile-dir D  where the .cpuprofile goes             (/tmp/prof)
  --profile-messages N  messages per sender in the profiled fanout (2000; quick 200)
  --no-build       use dist/ as it is (default: npm run build first)
  --no-pin         do not pin generator and servers to CPUs 0 and 1
  --json FILE      write all results as JSON              (bench/results/run-<time>.json)
  --keep           keep the servers' temporary directories
`;

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "all" },
    target: { type: "string", default: "both" },
    clients: { type: "string" },
    senders: { type: "string" },
    messages: { type: "string" },
    window: { type: "string" },
    size: { type: "string" },
    connections: { type: "string" },
    pairs: { type: "string" },
    concurrency: { type: "string" },
    history: { type: "string", default: "on" },
    repeat: { type: "string" },
    timeout: { type: "string" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    "profile-dir": { type: "string", default: "/tmp/prof" },
    "profile-messages": { type: "string" },
    "no-build": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
  allowPositionals: false,
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

function int(text: string | undefined, fallback: number, name: string, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`);
  return n;
}

const quick = values.quick;
const settings = {
  clients: int(values.clients, quick ? 50 : 500, "clients", 2),
  senders: int(values.senders, quick ? 2 : 5, "senders"),
  messages: int(values.messages, quick ? 50 : 200, "messages"),
  window: int(values.window, 20, "window"),
  textBytes: int(values.size, 64, "size", 24),
  connections: int(values.connections, quick ? 500 : 10_000, "connections"),
  pairs: int(values.pairs, quick ? 20 : 250, "pairs"),
  concurrency: int(values.concurrency, 50, "concurrency"),
  profileMessages: int(values["profile-messages"], quick ? 200 : 2000, "profile-messages"),
  repeat: int(values.repeat, quick ? 1 : 3, "repeat"),
  timeoutSeconds: int(values.timeout, 120, "timeout"),
};
if (settings.senders > settings.clients) fail("--senders cannot exceed --clients");
if (values.history !== "on" && values.history !== "off") fail("--history must be on or off");
const history = values.history === "on";

const scenarioFlag = values.scenario ?? "all";
const scenarios: readonly ScenarioName[] =
  scenarioFlag === "all" ? SCENARIOS : SCENARIOS.includes(scenarioFlag as ScenarioName) ? [scenarioFlag as ScenarioName] : fail(`unknown scenario ${scenarioFlag}`);
const targetFlag = values.target ?? "both";
const targets: readonly TargetName[] = targetFlag === "both" ? ["ours", "ngircd"] : targetFlag === "ours" || targetFlag === "ngircd" ? [targetFlag] : fail(`unknown target ${targetFlag}`);

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ── environment: file descriptors, CPU pinning, build ─────────────────────────

const wantedFiles = Math.max(4096, (scenarios.includes("connect") ? settings.connections : 0) + 2 * settings.clients + 4 * settings.pairs + 512);
const limit = raiseOpenFileLimit(wantedFiles);
if (limit.soft < wantedFiles) say(`warning: open-file limit is ${limit.soft} (hard ${limit.hard}); ${wantedFiles} wanted. Raise it (ulimit -n) or lower --connections.`);

const cpus = cpuCount();
const pin = !values["no-pin"] && cpus >= 2;
const generatorCpu = pin ? 0 : null;
const serverCpu = pin ? 1 : null;
if (pin && !pinSelf(0)) say("warning: could not pin the generator to CPU 0 (taskset)");
if (!pin) say(`note: not pinning (${values["no-pin"] ? "--no-pin" : `${cpus} CPU`}); generator and server share CPUs`);

if (!values["no-build"] && targets.includes("ours")) {
  say("building (tsc -p tsconfig.build.json) ...");
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
  } catch {
    say("bench: the build failed; fix it or run with --no-build to use dist/ as it is");
    process.exit(1);
  }
}

const baseDir = makeBaseDir();
const live = new Set<ServerHandle>();

async function cleanup(): Promise<void> {
  await Promise.all([...live].map((server) => server.stop("SIGKILL", 1000)));
  live.clear();
  if (!values.keep) rmSync(baseDir, { recursive: true, force: true });
}

let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say("interrupted: stopping servers");
  void cleanup().then(() => process.exit(130));
});

async function startTarget(name: TargetName, cpuProfileDir?: string): Promise<ServerHandle> {
  const options = { cpu: serverCpu, baseDir };
  const server = name === "ours" ? await startOurs({ ...options, history, ...(cpuProfileDir !== undefined && { cpuProfileDir }) }) : await startNgircd(options);
  live.add(server);
  return server;
}

async function stopTarget(server: ServerHandle, signal: NodeJS.Signals = "SIGTERM", graceMs = 8000): Promise<void> {
  await server.stop(signal, graceMs);
  live.delete(server);
}

function runScenario(scenario: ScenarioName, server: ServerHandle, messages = settings.messages): Promise<ScenarioResult> {
  switch (scenario) {
    case "fanout":
      return fanout(server, {
        clients: settings.clients,
        senders: settings.senders,
        messages,
        window: settings.window,
        textBytes: settings.textBytes,
        timeoutSeconds: settings.timeoutSeconds,
        channel: "#bench",
      });
    case "direct":
      return direct(server, {
        pairs: settings.pairs,
        messages: settings.messages,
        window: settings.window,
        textBytes: settings.textBytes,
        timeoutSeconds: settings.timeoutSeconds,
      });
    case "connect":
      return connect(server, { connections: settings.connections, concurrency: settings.concurrency, settleSeconds: 2, timeoutSeconds: settings.timeoutSeconds });
  }
}

// ── formatting ────────────────────────────────────────────────────────────────

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

function runLine(result: ScenarioResult): string {
  const m = result.metrics;
  const g = (key: string, digits: number): string => fmt(m[key], digits);
  if (result.scenario === "connect") {
    return `${g("registered", 0)} registered (${g("failed", 0)} failed) at ${g("rate", 0)}/s; RSS ${g("rss_before_mib", 1)} → ${g("rss_after_mib", 1)} MiB = ${g("rss_per_conn_kib", 2)} KiB/conn; server ${g("server_us_per", 1)} µs/reg; generator CPU ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%`;
  }
  const unit = result.scenario === "fanout" ? "deliveries" : "messages";
  return `${g("rate", 0)} ${unit}/s; latency p50 ${g("p50_ms", 2)} p99 ${g("p99_ms", 2)} max ${g("max_ms", 2)} ms; lost ${g("lost", 0)} dup ${g("duplicated", 0)} out-of-order ${g("reordered", 0)} misdelivered ${g("unexpected", 0)}; ${g("per_write", 1)}/server write, ${g("per_read", 1)}/client read; server ${g("server_us_per", 3)} µs/msg at ${g("server_cpu_pct", 0)}% CPU; generator CPU ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%; ${g("seconds", 2)} s`;
}

interface Cell {
  readonly runs: number;
  readonly medians: Readonly<Record<string, number>>;
}

function aggregate(results: readonly ScenarioResult[], scenario: ScenarioName, target: TargetName): Cell | null {
  const runs = results.filter((r) => r.scenario === scenario && r.target === target);
  if (runs.length === 0) return null;
  const medians: Record<string, number> = {};
  for (const def of METRICS[scenario]) medians[def.key] = median(runs.map((r) => r.metrics[def.key] ?? Number.NaN));
  return { runs: runs.length, medians };
}

function table(results: readonly ScenarioResult[]): string {
  const both = targets.length === 2;
  const header = both ? "| scenario | metric | ours | ngircd | ours/ngircd |\n|---|---|---:|---:|---:|" : `| scenario | metric | ${targets[0]} |\n|---|---|---:|`;
  const rows: string[] = [header];
  for (const scenario of scenarios) {
    const cells = targets.map((t) => aggregate(results, scenario, t));
    const runs = cells.map((c) => c?.runs ?? 0).join("/");
    for (const def of METRICS[scenario]) {
      const values = cells.map((c) => c?.medians[def.key]);
      const shown = values.map((v) => fmt(v, def.digits));
      let ratio = "";
      if (both) {
        const [ours, theirs] = values;
        ratio = ours !== undefined && theirs !== undefined && Number.isFinite(ours) && Number.isFinite(theirs) && theirs !== 0 ? ` ${fmt(ours / theirs, 2)} |` : " – |";
      }
      rows.push(`| ${scenario} (n=${runs}) | ${def.label} | ${shown.join(" | ")} |${ratio}`);
    }
  }
  return rows.join("\n");
}

// ── main ──────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const failures: Array<{ scenario: ScenarioName; target: TargetName; run: number; error: string }> = [];
  say(`settings: ${JSON.stringify(settings)}; ours with history ${history ? "on" : "off"}; generator CPU ${generatorCpu ?? "any"}, servers CPU ${serverCpu ?? "any"}; open files ${openFileLimit().soft}`);

  for (const scenario of scenarios) {
    for (let run = 1; run <= settings.repeat; run++) {
      // Alternate which server goes first, so slow drifts in machine load hit both.
      const order = run % 2 === 1 ? targets : [...targets].reverse();
      for (const target of order) {
        if (interrupted) return;
        let server: ServerHandle | null = null;
        try {
          server = await startTarget(target);
          await sleep(scenario === "connect" ? 1000 : 300);
          const result = await runScenario(scenario, server);
          results.push(result);
          say(`[${scenario} ${run}/${settings.repeat}] ${target}: ${runLine(result)}`);
          for (const note of result.notes) say(`    note: ${note}`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ scenario, target, run, error: message });
          say(`[${scenario} ${run}/${settings.repeat}] ${target}: FAILED: ${message}`);
        } finally {
          if (server) await stopTarget(server);
        }
      }
    }
  }

  let profile: string | null = null;
  if (values.profile && !interrupted) profile = await profileOurs();

  const out: string[] = [];
  out.push("");
  out.push(`## Results (median of ${settings.repeat} run${settings.repeat === 1 ? "" : "s"}; ${new Date().toISOString()})`);
  out.push("");
  out.push(
    `fanout: ${settings.clients} clients, ${settings.senders} senders × ${settings.messages} messages, window ${settings.window}; ` +
      `direct: ${settings.pairs} pairs × 2 × ${settings.messages} messages, window ${settings.window}; connect: ${settings.connections} idle clients; ` +
      `text ${settings.textBytes} bytes; ours with history.enabled=${history}; servers on CPU ${serverCpu ?? "any"}, generator on CPU ${generatorCpu ?? "any"}`,
  );
  out.push("");
  out.push(table(results));
  const busy = results.filter((r) => (r.metrics["gen_cpu_pct"] ?? 0) >= 90);
  if (busy.length > 0) {
    out.push("");
    out.push(`WARNING: the generator used >= 90% of its CPU in ${busy.length} run(s) (${busy.map((r) => `${r.scenario}/${r.target}`).join(", ")}): those figures may be limited by the generator, not the server.`);
  }
  if (failures.length > 0) {
    out.push("");
    for (const f of failures) out.push(`FAILED ${f.scenario} run ${f.run} against ${f.target}: ${f.error}`);
  }
  if (profile !== null) {
    out.push("");
    out.push(profile);
  }
  process.stdout.write(`${out.join("\n")}\n`);

  const jsonFile = values.json ?? join(REPO_ROOT, "bench", "results", `run-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  try {
    mkdirSync(join(jsonFile, ".."), { recursive: true });
    writeFileSync(jsonFile, `${JSON.stringify({ settings, history, scenarios, targets, results, failures }, null, 2)}\n`);
    say(`results written to ${jsonFile}`);
  } catch (error) {
    say(`could not write ${jsonFile}: ${(error as Error).message}`);
  }
  if (failures.length > 0) process.exitCode = 1;
}

/** Runs fanout once against our server under --cpu-prof; returns the summary of the profile. */
async function profileOurs(): Promise<string> {
  const dir = values["profile-dir"] ?? "/tmp/prof";
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  say(`profiling: fanout against ours under node --cpu-prof (${dir})`);
  const server = await startTarget("ours", dir);
  try {
    await sleep(300);
    const result = await runScenario("fanout", server, settings.profileMessages);
    say(`[profile] ours (${settings.profileMessages} messages per sender): ${runLine(result)}`);
  } finally {
    // SIGINT: graceful stop, then the profile is written as the process exits.
    await stopTarget(server, "SIGINT", 30_000);
  }
  const written = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile") && !before.has(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const file = written[0];
  if (!file) return `profile: no new .cpuprofile appeared in ${dir}`;
  return `## CPU profile of ours during fanout (top 15 by self time)\n\n${file}\n\n${formatSummary(summariseProfile(readProfile(file)), 15)}`;
}

main()
  .catch((error: unknown) => {
    say(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
