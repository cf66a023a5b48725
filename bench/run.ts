/**
 * Benchmarks CmyMessage against ngircd on this machine.
 *
 *   npm run bench -- [--scenario fanout|connect|direct|all] [--target ours|ngircd|both] [--quick] ...
 *
 * For every scenario and repetition it starts a fresh server (ours from dist/,
 * ngircd from /usr/sbin) pinned to CPU 1, runs the load generator in this
 * process pinned to CPU 0, and stops the server. It prints one line per run and,
 * at the end, a table of medians with the ratio ours/ngircd. See bench/README.md.
 *
 * logins, login-storm and history-overhead run against our server only: ngircd
 * has no accounts and keeps no message history. So does cluster-fanout (one node
 * against a cluster of several on Redis; see bench/lib/cluster-*.ts).
 *
 * The ftp group (ftp-stor, ftp-retr, ftp-many; --tls for FTPS) compares our FTP
 * service with vsftpd instead: both servers run at once, pinned to CPU 1, and take
 * turns (ABBA) under curl processes pinned to CPU 0. See bench/lib/ftp-*.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { cpuCount, openFileLimit, pinSelf, raiseOpenFileLimit } from "./lib/proc.js";
import { connect, direct, fanout, METRICS, SCENARIOS, type ScenarioName, type ScenarioResult, type Target } from "./lib/scenarios.js";
import { loginStorm, logins } from "./lib/accounts.js";
import { createSchema, DEFAULT_POSTGRES_URL, postgresBackendPids, postgresPort, type BenchSchema } from "./lib/postgres.js";
import { freePort, makeBaseDir, REPO_ROOT, startNgircd, startOurs, type ServerHandle } from "./lib/servers.js";
import { formatSummary, readProfile, summariseProfile } from "./profile-summary.js";
import { wsFanout, wsFanoutTable, type WsFanoutPhase, type WsFanoutResult } from "./lib/ws-scenario.js";
import { clusterFanout, clusterFanoutTable, type ClusterCase, type ClusterCaseResult } from "./lib/cluster-scenario.js";
import { withCluster } from "./lib/cluster-servers.js";
import { FTP_METRICS, FTP_SCENARIOS, ftpMany, ftpTransfer, negotiatedTls, type FtpResult, type FtpRunContext, type FtpScenarioName } from "./lib/ftp-scenarios.js";
import {
  lockFtpUser,
  makeFtpWorkspace,
  prepareFtpUser,
  startOursFtp,
  startVsftpd,
  vsftpdVersion,
  type FtpServerHandle,
  type FtpServerName,
  type FtpWorkspace,
} from "./lib/ftp-servers.js";
import { median } from "./lib/median.js";

type TargetName = "ours" | "ngircd";
/**
 * What --scenario may name: the scenarios of lib/scenarios.ts, history-overhead (fanout, ours, history on vs off),
 * ws-fanout (ours, WebSocket vs TCP clients in one server), cluster-fanout (ours, one node
 * vs a cluster) and the FTP scenarios.
 */
type RunName = ScenarioName | "history-overhead" | "ws-fanout" | "cluster-fanout" | FtpScenarioName;
/** Run against our server only: ngircd has no accounts, no history, no WebSocket and no cluster. */
const OURS_ONLY: readonly RunName[] = ["logins", "login-storm", "history-overhead", "ws-fanout", "cluster-fanout"];
const RUN_NAMES: readonly RunName[] = [...SCENARIOS, ...OURS_ONLY, ...FTP_SCENARIOS];

function isFtp(name: RunName): name is FtpScenarioName {
  return FTP_SCENARIOS.includes(name as FtpScenarioName);
}

const USAGE = `usage: npm run bench -- [options]
  --scenario LIST  all (= fanout,connect,direct), ftp (= ftp-stor,ftp-retr,ftp-many), or a
                   comma-separated list of fanout, connect, direct, logins, login-storm,
                   history-overhead, ws-fanout, cluster-fanout, ftp-stor, ftp-retr, ftp-many (all)
                   (logins, login-storm, history-overhead, ws-fanout, cluster-fanout: our server only;
                   ftp-*: ours against vsftpd, which needs root)
  --target ours|ngircd|vsftpd|both       (both = ours and ngircd for IRC, ours and vsftpd for FTP)
  --clients N      fanout: clients in the channel         (500; quick 50)
  --senders N      fanout: clients that send             (5; quick 2)
  --messages N     fanout and direct: messages per sender (200; quick 50)
  --window N       messages per sender in flight          (20)
  --size N         bytes of message text                  (64)
  --connections N  connect: idle registered clients       (10000; quick 500)
  --pairs N        direct: pairs of clients               (250; quick 20)
  --ws-clients N   ws-fanout: WebSocket clients in #ws and as many TCP clients in #tcp (2000; quick 100);
                   --senders, --messages, --window, --size as for fanout; --repeat = rounds of a
                   TCP and a WebSocket phase in one server run; --profile: that server under --cpu-prof
  --cluster-clients N   cluster-fanout: clients in #cluster, spread over the nodes (60; quick 30)
  --cluster-nodes N     cluster-fanout: nodes of case B (3); case A is one node, both on Redis
                   and PostgreSQL (--postgres-url, a fresh database each); --senders (default: one
                   per node of B), --window, --size as for fanout; --repeat = A/B pairs;
                   --profile: one more case A and B each, their first node under --cpu-prof
  --cluster-messages N  cluster-fanout: messages per sender (2000; quick 300)
  --cluster-warmup N    cluster-fanout: messages per sender of an unmeasured round first, so that
                   V8 has optimised every node's code (1000; quick 100; 0 = none)
  --concurrency N  connect: registrations in flight       (50)
  --history on|off our server's history.enabled (store each message before delivery) (on, its default)
  --accounts N     logins: accounts made first with REGISTER (50; quick 10)
  --logins N       logins: SASL PLAIN logins measured     (200; quick 40)
  --login-concurrency N  logins: logins in flight         (8)
  --argon2-samples N     logins: argon2id verifies timed in-process for reference (10)
  --storm-logins N login-storm: logins started at once    (50; quick 20)
  --storm-clients N  login-storm: clients in the chat channel, one sends (5)
  --storm-rate N   login-storm: chat messages per second  (200)
  --idle-seconds S login-storm: chat before each storm    (3; quick 2)
  --storm-rounds N login-storm: idle + storm rounds per run, samples pooled (3; quick 1)
  --threadpool N   UV_THREADPOOL_SIZE of our server (argon2 runs there; default: not set = 4)
  --postgres       history-overhead: also with database.url on PostgreSQL (fresh schema per run)
  --postgres-url U the PostgreSQL server for --postgres   (${DEFAULT_POSTGRES_URL})
  --repeat N       runs per scenario and target; the table shows medians (3; quick 1)
  --timeout S      limit per run in seconds               (120)
  --quick          small sizes, one run: a smoke test
  --profile        also run fanout once against ours under node --cpu-prof and summarise it
  --profile-dir D  where the .cpuprofile goes             (/tmp/prof)
  --profile-messages N  messages per sender in the profiled fanout (2000; quick 200)
  --cpu-prof-dir D every run of our server in fanout, connect, direct, logins and login-storm
                   under node --cpu-prof, each thread's .cpuprofile written to D (the main thread's
                   has .0. in its name; summarise with bench/profile-summary.ts); the profiler's
                   own cost is in those runs' CPU, latency and memory figures
  --tls            ftp-*: FTPS (AUTH TLS, PBSZ 0, PROT P; curl --ssl-reqd) instead of plain FTP
  --file-mib N     ftp-stor/ftp-retr: size of the file             (512; quick 32)
  --transfers N    ftp-stor/ftp-retr: transfers per server and run (5; quick 2)
  --many-clients N ftp-many: curl processes at once, one connection each (50; quick 10)
  --many-files N   ftp-many: files each of them fetches              (100; quick 20)
  --many-kib N     ftp-many: size of each file in KiB                (64)
  --many-rounds N  ftp-many: rounds per server and run               (2; quick 1)
  --files-dir DIR  ftp-*: put the test files and both servers' directories under DIR (made if
                   missing), e.g. /var/tmp for the ext4 disk (default: /dev/shm when it has room)
  --many-client node|curl  ftp-many: the Node client of bench/lib/ftp-client.ts, all
                   clients in this process, or one curl process per client (node)
  --warmup N       ftp-*: unmeasured transfers (ftp-many: rounds of a fifth of the files)
                   per server after each start                       (2; quick 0)
  --ours-dist DIR  run our server from this build directory instead of dist/ (every scenario)
                   (e.g. a patched copy, to measure a change)
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
    "ws-clients": { type: "string" },
    "cluster-clients": { type: "string" },
    "cluster-nodes": { type: "string" },
    "cluster-messages": { type: "string" },
    "cluster-warmup": { type: "string" },
    concurrency: { type: "string" },
    history: { type: "string", default: "on" },
    accounts: { type: "string" },
    logins: { type: "string" },
    "login-concurrency": { type: "string" },
    "argon2-samples": { type: "string" },
    "storm-logins": { type: "string" },
    "storm-clients": { type: "string" },
    "storm-rate": { type: "string" },
    "idle-seconds": { type: "string" },
    "storm-rounds": { type: "string" },
    threadpool: { type: "string" },
    postgres: { type: "boolean", default: false },
    "postgres-url": { type: "string", default: DEFAULT_POSTGRES_URL },
    repeat: { type: "string" },
    timeout: { type: "string" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    "profile-dir": { type: "string", default: "/tmp/prof" },
    "cpu-prof-dir": { type: "string" },
    "profile-messages": { type: "string" },
    tls: { type: "boolean", default: false },
    "file-mib": { type: "string" },
    transfers: { type: "string" },
    "many-clients": { type: "string" },
    "many-files": { type: "string" },
    "many-kib": { type: "string" },
    "many-rounds": { type: "string" },
    "many-client": { type: "string", default: "node" },
    "files-dir": { type: "string" },
    warmup: { type: "string" },
    "ours-dist": { type: "string" },
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
  wsClients: int(values["ws-clients"], quick ? 100 : 2000, "ws-clients", 2),
  clusterClients: int(values["cluster-clients"], quick ? 30 : 60, "cluster-clients", 2),
  clusterNodes: int(values["cluster-nodes"], 3, "cluster-nodes", 2),
  clusterMessages: int(values["cluster-messages"], quick ? 300 : 2000, "cluster-messages"),
  clusterWarmup: int(values["cluster-warmup"], quick ? 100 : 1000, "cluster-warmup", 0),
  /** cluster-fanout: one sender on each node of case B unless --senders says otherwise. */
  clusterSenders: int(values.senders, int(values["cluster-nodes"], 3, "cluster-nodes", 2), "senders"),
  concurrency: int(values.concurrency, 50, "concurrency"),
  accounts: int(values.accounts, quick ? 10 : 50, "accounts"),
  logins: int(values.logins, quick ? 40 : 200, "logins"),
  loginConcurrency: int(values["login-concurrency"], 8, "login-concurrency"),
  argon2Samples: int(values["argon2-samples"], 10, "argon2-samples"),
  stormLogins: int(values["storm-logins"], quick ? 20 : 50, "storm-logins"),
  stormClients: int(values["storm-clients"], 5, "storm-clients", 2),
  stormRate: int(values["storm-rate"], 200, "storm-rate"),
  idleSeconds: int(values["idle-seconds"], quick ? 2 : 3, "idle-seconds"),
  stormRounds: int(values["storm-rounds"], quick ? 1 : 3, "storm-rounds"),
  threadpool: values.threadpool === undefined ? null : int(values.threadpool, 4, "threadpool"),
  profileMessages: int(values["profile-messages"], quick ? 200 : 2000, "profile-messages"),
  fileMiB: int(values["file-mib"], quick ? 32 : 512, "file-mib"),
  transfers: int(values.transfers, quick ? 2 : 5, "transfers"),
  manyClients: int(values["many-clients"], quick ? 10 : 50, "many-clients"),
  manyFiles: int(values["many-files"], quick ? 20 : 100, "many-files"),
  manyKiB: int(values["many-kib"], 64, "many-kib"),
  manyRounds: int(values["many-rounds"], quick ? 1 : 2, "many-rounds"),
  warmup: int(values.warmup, quick ? 0 : 2, "warmup", 0),
  repeat: int(values.repeat, quick ? 1 : 3, "repeat"),
  timeoutSeconds: int(values.timeout, 120, "timeout"),
};
if (settings.senders > settings.clients) fail("--senders cannot exceed --clients");
if (settings.clusterSenders > settings.clusterClients) fail("--senders cannot exceed --cluster-clients");
if (values.history !== "on" && values.history !== "off") fail("--history must be on or off");
if (values["many-client"] !== "node" && values["many-client"] !== "curl") fail("--many-client must be node or curl");
const manyClient: "node" | "curl" = values["many-client"] === "curl" ? "curl" : "node";
const history = values.history === "on";

const scenarioFlag = values.scenario ?? "all";
const scenarios: readonly RunName[] = [
  ...new Set(
    scenarioFlag.split(",").flatMap((name): RunName[] => {
      const trimmed = name.trim();
      if (trimmed === "all") return [...SCENARIOS];
      if (trimmed === "ftp") return [...FTP_SCENARIOS];
      return RUN_NAMES.includes(trimmed as RunName) ? [trimmed as RunName] : fail(`unknown scenario ${trimmed}`);
    }),
  ),
];
const compared = scenarios.filter((s): s is ScenarioName => SCENARIOS.includes(s as ScenarioName));
const oursOnly = scenarios.filter((s) => OURS_ONLY.includes(s));
const targetFlag = values.target ?? "both";
if (!["ours", "ngircd", "vsftpd", "both"].includes(targetFlag)) fail(`unknown target ${targetFlag}`);
/** Targets of the IRC scenarios. */
const targets: readonly TargetName[] = targetFlag === "both" ? ["ours", "ngircd"] : targetFlag === "ours" || targetFlag === "ngircd" ? [targetFlag] : [];
const ftpScenarios = scenarios.filter(isFtp);
/** Targets of the FTP scenarios. */
const ftpTargets: readonly FtpServerName[] = targetFlag === "both" ? ["ours", "vsftpd"] : targetFlag === "ours" || targetFlag === "vsftpd" ? [targetFlag] : [];
if (ftpScenarios.length > 0 && ftpTargets.length === 0) fail(`--target ${targetFlag} names no FTP server (ours, vsftpd or both)`);
if (scenarios.some((s) => !isFtp(s)) && targets.length === 0) fail(`--target ${targetFlag} names no IRC server (ours, ngircd or both)`);

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ── environment: file descriptors, CPU pinning, build ─────────────────────────

const wantedFiles = Math.max(
  4096,
  (scenarios.includes("connect") ? settings.connections : 0) + 2 * settings.clients + 4 * settings.pairs + 2 * settings.logins + (scenarios.includes("ws-fanout") ? 2 * settings.wsClients : 0) + 2 * settings.clusterClients + 512,
);
const limit = raiseOpenFileLimit(wantedFiles);
if (limit.soft < wantedFiles) say(`warning: open-file limit is ${limit.soft} (hard ${limit.hard}); ${wantedFiles} wanted. Raise it (ulimit -n) or lower --connections.`);

const cpus = cpuCount();
const pin = !values["no-pin"] && cpus >= 2;
const generatorCpu = pin ? 0 : null;
const serverCpu = pin ? 1 : null;
if (pin && !pinSelf(0)) say("warning: could not pin the generator to CPU 0 (taskset)");
if (!pin) say(`note: not pinning (${values["no-pin"] ? "--no-pin" : `${cpus} CPU`}); generator and server share CPUs`);

if (!values["no-build"] && (targets.includes("ours") || oursOnly.length > 0 || (ftpScenarios.length > 0 && ftpTargets.includes("ours")))) {
  say("building (tsc -p tsconfig.build.json) ...");
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
  } catch {
    say("bench: the build failed; fix it or run with --no-build to use dist/ as it is");
    process.exit(1);
  }
}

const baseDir = makeBaseDir();
/** --cpu-prof-dir: where runOnce's servers of ours write their profiles. */
const cpuProfDir = values["cpu-prof-dir"];
if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
const live = new Set<ServerHandle>();
/** The FTP test files and the servers' directories (tmpfs when it has room); made before the first FTP scenario. */
let ftpWorkspace: FtpWorkspace | null = null;
let ftpUserPrepared = false;

async function cleanup(): Promise<void> {
  await Promise.all([...live].map((server) => server.stop("SIGKILL", 1000)));
  live.clear();
  if (ftpUserPrepared) lockFtpUser();
  if (!values.keep) {
    rmSync(baseDir, { recursive: true, force: true });
    if (ftpWorkspace) rmSync(ftpWorkspace.dir, { recursive: true, force: true });
  }
}

let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say("interrupted: stopping servers");
  cleanup().then(
    () => process.exit(130),
    (error: unknown) => {
      say(`cleanup failed: ${String(error)}`);
      process.exit(130);
    },
  );
});

async function startTarget(name: TargetName, cpuProfileDir?: string): Promise<ServerHandle> {
  const options = { cpu: serverCpu, baseDir };
  const server =
    name === "ours"
      ? await startOurs({
          ...options,
          history,
          ...(settings.threadpool !== null && { threadpool: settings.threadpool }),
          ...(cpuProfileDir !== undefined && { cpuProfileDir }),
          ...(oursEntry !== undefined && { entry: oursEntry }),
        })
      : await startNgircd(options);
  live.add(server);
  return server;
}

async function stopTarget(server: ServerHandle, signal: NodeJS.Signals = "SIGTERM", graceMs = 8000): Promise<void> {
  await server.stop(signal, graceMs);
  live.delete(server);
}

function runScenario(scenario: ScenarioName, server: Target, messages = settings.messages): Promise<ScenarioResult> {
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
    case "logins":
      return logins(server, {
        accounts: settings.accounts,
        logins: settings.logins,
        concurrency: settings.loginConcurrency,
        argon2Samples: settings.argon2Samples,
        timeoutSeconds: settings.timeoutSeconds,
      });
    case "login-storm":
      return loginStorm(server, {
        chatClients: settings.stormClients,
        rate: settings.stormRate,
        idleSeconds: settings.idleSeconds,
        logins: settings.stormLogins,
        rounds: settings.stormRounds,
        afterSeconds: 1,
        textBytes: settings.textBytes,
        timeoutSeconds: settings.timeoutSeconds,
      });
  }
}

// ── formatting ────────────────────────────────────────────────────────────────

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function runLine(result: ScenarioResult): string {
  const m = result.metrics;
  const g = (key: string, digits: number): string => fmt(m[key], digits);
  if (result.scenario === "logins") {
    return `${g("ok", 0)} logins (${g("failed", 0)} failed) at ${g("rate", 1)}/s; login latency p50 ${g("p50_ms", 1)} p99 ${g("p99_ms", 1)} ms; server ${g("server_ms_per", 2)} ms CPU/login (main thread ${g("main_ms_per", 2)}) at ${g("server_cpu_pct", 0)}% CPU; argon2id verify ${g("argon2_wall_ms", 2)} ms wall, ${g("argon2_cpu_ms", 2)} ms CPU in-process (server/verify ${g("per_argon2", 2)}); RSS peak ${g("rss_peak_mib", 1)} MiB; generator CPU ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%`;
  }
  if (result.scenario === "login-storm") {
    return `chat p50/p99/max idle ${g("idle_p50_ms", 3)}/${g("idle_p99_ms", 3)}/${g("idle_max_ms", 2)} ms (${g("idle_samples", 0)}), storm ${g("storm_p50_ms", 3)}/${g("storm_p99_ms", 3)}/${g("storm_max_ms", 2)} ms (${g("storm_samples", 0)}); p99 ratio ${g("p99_ratio", 2)}; ${g("logins_ok", 0)} logins (${g("logins_failed", 0)} failed), ${g("storm_seconds", 2)} s per storm; lost ${g("lost", 0)}; server CPU ${g("idle_server_cpu_pct", 0)}% → ${g("storm_server_cpu_pct", 0)}%, main thread waiting for a CPU ${g("idle_main_wait_pct", 1)}% → ${g("storm_main_wait_pct", 1)}% of the time; others ${g("idle_others_cpu_pct", 0)}% → ${g("storm_others_cpu_pct", 0)}%`;
  }
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

function aggregate(results: readonly ScenarioResult[], scenario: ScenarioName, target: string): Cell | null {
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
  for (const scenario of compared) {
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

const OURS_ONLY_NOTE =
  "logins, login-storm, history-overhead, ws-fanout and cluster-fanout run against our server only: ngircd has no accounts (SASL, REGISTER), keeps no message history, speaks no WebSocket and has no cluster of ours.";

/** One server run of a scenario: fresh server, measure, stop. Failures are recorded, not thrown. */
async function runOnce(
  scenario: ScenarioName,
  target: TargetName,
  run: number,
  results: ScenarioResult[],
  failures: Failure[],
): Promise<void> {
  let server: ServerHandle | null = null;
  try {
    server = await startTarget(target, target === "ours" ? cpuProfDir : undefined);
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
    // A profiled server stops on SIGINT, given time to write its profile.
    if (server) await (cpuProfDir !== undefined && target === "ours" ? stopTarget(server, "SIGINT", 30_000) : stopTarget(server));
  }
}

interface Failure {
  readonly scenario: string;
  readonly target: string;
  readonly run: number;
  readonly error: string;
}

// ── history-overhead: fanout against ours with history on and off ───────────

interface HistoryVariant {
  readonly label: string;
  readonly database: "SQLite" | "PostgreSQL";
  readonly history: boolean;
}

interface HistoryRun {
  readonly run: number;
  readonly variant: HistoryVariant;
  readonly result: ScenarioResult;
}

const HISTORY_VARIANTS: readonly HistoryVariant[] = [
  { label: "history on (SQLite)", database: "SQLite", history: true },
  { label: "history off (SQLite)", database: "SQLite", history: false },
  { label: "history on (PostgreSQL)", database: "PostgreSQL", history: true },
  { label: "history off (PostgreSQL)", database: "PostgreSQL", history: false },
];

async function historyOverhead(runs: HistoryRun[], failures: Failure[]): Promise<void> {
  const variants = HISTORY_VARIANTS.filter((v) => v.database === "SQLite" || values.postgres);
  const pgUrl = values["postgres-url"] ?? DEFAULT_POSTGRES_URL;
  for (let run = 1; run <= settings.repeat; run++) {
    // Alternate the order, so slow drifts in machine load hit on and off alike.
    const order = run % 2 === 1 ? variants : [...variants].reverse();
    for (const variant of order) {
      if (interrupted) return;
      let server: ServerHandle | null = null;
      let schema: BenchSchema | null = null;
      try {
        if (variant.database === "PostgreSQL") schema = await createSchema(pgUrl);
        server = await startOurs({
          cpu: serverCpu,
          baseDir,
          history: variant.history,
          ...(schema !== null && { databaseUrl: schema.url }),
          ...(settings.threadpool !== null && { threadpool: settings.threadpool }),
          ...(oursEntry !== undefined && { entry: oursEntry }),
        });
        live.add(server);
        await sleep(300);
        const pid = server.pid;
        const port = postgresPort(pgUrl);
        const target: Target = { name: variant.label, host: server.host, port: server.port, pid, ...(schema !== null && { helperPids: () => postgresBackendPids(pid, port) }) };
        const result = await runScenario("fanout", target);
        runs.push({ run, variant, result });
        const backends = schema === null ? "" : `; PostgreSQL backends ${fmt(result.metrics["helper_us_per"], 3)} µs/delivery at ${fmt(result.metrics["helper_cpu_pct"], 0)}% CPU`;
        say(`[history-overhead ${run}/${settings.repeat}] ${variant.label}: ${runLine(result)}${backends}`);
        for (const note of result.notes) say(`    note: ${note}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ scenario: "history-overhead", target: variant.label, run, error: message });
        say(`[history-overhead ${run}/${settings.repeat}] ${variant.label}: FAILED: ${message}`);
      } finally {
        if (server) await stopTarget(server);
        if (schema !== null) await schema.drop().catch((error: unknown) => say(`could not drop schema ${schema?.schema}: ${(error as Error).message}`));
      }
    }
  }
}

function historyTable(runs: readonly HistoryRun[]): string {
  const databases = [...new Set(runs.map((r) => r.variant.database))];
  const out: string[] = [];
  const pick = (database: string, on: boolean, key: string): number[] =>
    runs.filter((r) => r.variant.database === database && r.variant.history === on).map((r) => r.result.metrics[key] ?? Number.NaN);
  /** on ÷ off of the same run (the pair nearest in time), then the median. */
  const pairedRatio = (database: string, key: string): number => {
    const ratios: number[] = [];
    for (const r of runs) {
      if (r.variant.database !== database || !r.variant.history) continue;
      const off = runs.find((o) => o.run === r.run && o.variant.database === database && !o.variant.history);
      if (off) ratios.push((r.result.metrics[key] ?? Number.NaN) / (off.result.metrics[key] ?? Number.NaN));
    }
    return median(ratios);
  };
  const rows: Array<{ key: string; label: string; digits: number; sum?: readonly string[] }> = [
    { key: "rate", label: "deliveries/s", digits: 0 },
    { key: "server_us_per", label: "server CPU µs/delivery", digits: 3 },
    { key: "helper_us_per", label: "PostgreSQL backends CPU µs/delivery", digits: 3 },
    { key: "total_us_per", label: "server + backends CPU µs/delivery", digits: 3, sum: ["server_us_per", "helper_us_per"] },
    { key: "p50_ms", label: "latency p50 (ms)", digits: 2 },
    { key: "p99_ms", label: "latency p99 (ms)", digits: 2 },
    { key: "per_write", label: "deliveries per server write syscall", digits: 1 },
    { key: "lost", label: "lost", digits: 0 },
    { key: "duplicated", label: "duplicated", digits: 0 },
    { key: "reordered", label: "out of order", digits: 0 },
    { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
    { key: "helper_cpu_pct", label: "PostgreSQL backends CPU %", digits: 0 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
  ];
  for (const database of databases) {
    const n = `${pick(database, true, "rate").length}/${pick(database, false, "rate").length}`;
    out.push(`**${database}** (runs on/off: ${n})`);
    out.push("");
    out.push("| metric | history on | history off | on/off (median of per-run ratios) |");
    out.push("|---|---:|---:|---:|");
    for (const row of rows) {
      if (database === "SQLite" && (row.key.startsWith("helper") || row.sum)) continue;
      const value = (on: boolean): number => (row.sum ? row.sum.reduce((t, k) => t + median(pick(database, on, k)), 0) : median(pick(database, on, row.key)));
      const on = value(true);
      const off = value(false);
      const ratio = row.sum ? on / off : pairedRatio(database, row.key);
      const showRatio = ["rate", "server_us_per", "total_us_per", "p50_ms", "p99_ms", "per_write"].includes(row.key);
      out.push(`| ${row.label} | ${fmt(on, row.digits)} | ${fmt(off, row.digits)} | ${showRatio ? fmt(ratio, 2) : ""} |`);
    }
    const rate = pairedRatio(database, "rate");
    const cost = (on: boolean): number => median(pick(database, on, "server_us_per")) + (database === "SQLite" ? 0 : median(pick(database, on, "helper_us_per")));
    out.push("");
    out.push(`deliveries/s on ÷ off with ${database}: ${fmt(rate, 2)} (target ≥ 0.8: ${Number.isFinite(rate) ? (rate >= 0.8 ? "met" : "MISSED") : "–"})`);
    out.push(
      `CPU-bound estimate (the server with a CPU to itself: off ÷ on of the CPU per delivery${database === "SQLite" ? "" : ", backends included"}): ${fmt(cost(false) / cost(true), 2)}`,
    );
    out.push("");
  }
  return out.join("\n");
}

// ── ws-fanout: WebSocket against TCP clients, one server ───────────────────────

function wsPhaseLine(phase: WsFanoutPhase): string {
  const m = phase.metrics;
  const g = (key: string, digits: number): string => fmt(m[key], digits);
  return `${g("rate", 0)} deliveries/s; latency p50 ${g("p50_ms", 2)} p99 ${g("p99_ms", 2)} ms; lost ${g("lost", 0)} dup ${g("duplicated", 0)} out-of-order ${g("reordered", 0)} misdelivered ${g("unexpected", 0)}; ${g("per_write", 1)}/server write, ${g("per_read", 1)}/client read; server ${g("server_us_per", 3)} µs/delivery at ${g("server_cpu_pct", 0)}% CPU; generator CPU ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%; ${g("seconds", 2)} s`;
}

/** One server with an HTTP listener; --repeat rounds of a TCP and a WebSocket phase in it. Returns the profile summary when --profile. */
async function wsFanoutRun(out: { result: WsFanoutResult | null }, failures: Failure[]): Promise<string | null> {
  const profileDir = values.profile ? (values["profile-dir"] ?? "/tmp/prof") : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const before = profileDir === undefined ? new Set<string>() : new Set(readdirSync(profileDir));
  let server: ServerHandle | null = null;
  try {
    const httpPort = await freePort();
    server = await startOurs({
      cpu: serverCpu,
      baseDir,
      history,
      httpPort,
      ...(settings.threadpool !== null && { threadpool: settings.threadpool }),
      ...(profileDir !== undefined && { cpuProfileDir: profileDir }),
      ...(oursEntry !== undefined && { entry: oursEntry }),
    });
    live.add(server);
    await sleep(300);
    say(`[ws-fanout] ${settings.wsClients} TCP clients in #tcp and ${settings.wsClients} WebSocket clients in #ws, ${settings.repeat} round(s)${profileDir === undefined ? "" : ` (server under --cpu-prof, ${profileDir})`} ...`);
    out.result = await wsFanout(
      server,
      httpPort,
      {
        clients: settings.wsClients,
        senders: settings.senders,
        messages: settings.messages,
        window: settings.window,
        textBytes: settings.textBytes,
        rounds: settings.repeat,
        timeoutSeconds: settings.timeoutSeconds,
      },
      (phase) => {
        say(`[ws-fanout ${phase.round}/${settings.repeat}] ${phase.transport}: ${wsPhaseLine(phase)}`);
        for (const note of phase.notes) say(`    note: ${note}`);
      },
    );
    for (const note of out.result.notes) say(`    note: ${note}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push({ scenario: "ws-fanout", target: "ours", run: 1, error: message });
    say(`[ws-fanout] FAILED: ${message}`);
  } finally {
    if (server) await stopTarget(server, profileDir === undefined ? "SIGTERM" : "SIGINT", 30_000);
  }
  if (profileDir === undefined) return null;
  const file = readdirSync(profileDir)
    .filter((f) => f.endsWith(".cpuprofile") && !before.has(f))
    .map((f) => join(profileDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return file
    ? `## CPU profile of ours during ws-fanout (set-up, TCP and WebSocket phases together; top 15 by self time)\n\n${file}\n\n${formatSummary(summariseProfile(readProfile(file)), 15)}`
    : `profile: no new .cpuprofile appeared in ${profileDir}`;
}

// ── cluster-fanout: one node against a cluster of several ────────────────────

function clusterCaseLine(result: ClusterCaseResult): string {
  const m = result.metrics;
  const g = (key: string, digits: number): string => fmt(m[key], digits);
  const split = result.processes.map((p) => `${p.name} ${fmt(p.usPerDelivery, 3)} (${fmt(p.cpuPct, 0)}%)`).join(", ");
  return (
    `${g("rate", 0)} deliveries/s; nodes + Redis ${g("us_per", 3)} µs/delivery at ${g("cpu_pct", 0)}% CPU [${split}]; ${g("publishes_per_message", 2)} PUBLISH/message; ${g("wakeups_per_message", 2)} wake-ups/message; ` +
    `latency p50 ${g("p50_ms", 2)} p99 ${g("p99_ms", 2)} ms; lost ${g("lost", 0)} dup ${g("duplicated", 0)} out-of-order ${g("reordered", 0)} misdelivered ${g("unexpected", 0)}; ` +
    `${g("per_write", 1)}/node write; generator CPU ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%; ${g("seconds", 2)} s`
  );
}

/** One case: a fresh Redis, database and 1 or N nodes; the fanout; everything stopped and dropped. */
async function clusterCase(kase: ClusterCase, run: number, cpuProfileDir?: string): Promise<ClusterCaseResult> {
  const pgUrl = values["postgres-url"] ?? DEFAULT_POSTGRES_URL;
  return withCluster(
    {
      nodes: kase === "A" ? 1 : settings.clusterNodes,
      cpu: serverCpu,
      baseDir,
      history,
      postgresUrl: pgUrl,
      ...(settings.threadpool !== null && { threadpool: settings.threadpool }),
      ...(cpuProfileDir !== undefined && { cpuProfileDir }),
      ...(oursEntry !== undefined && { entry: oursEntry }),
      track: (server) => live.add(server),
      untrack: (server) => live.delete(server),
    },
    (cluster) =>
      clusterFanout(cluster, kase, run, {
        clients: settings.clusterClients,
        senders: settings.clusterSenders,
        messages: settings.clusterMessages,
        warmupMessages: settings.clusterWarmup,
        window: settings.window,
        textBytes: settings.textBytes,
        timeoutSeconds: settings.timeoutSeconds,
        postgresPort: postgresPort(pgUrl),
      }),
  );
}

/** --repeat pairs of case A and case B (order alternating); with --profile one more of each, profiled. Returns the profile summaries. */
async function clusterFanoutRun(results: ClusterCaseResult[], failures: Failure[]): Promise<string | null> {
  for (let run = 1; run <= settings.repeat; run++) {
    const order: ClusterCase[] = run % 2 === 1 ? ["A", "B"] : ["B", "A"];
    for (const kase of order) {
      if (interrupted) return null;
      try {
        const result = await clusterCase(kase, run);
        results.push(result);
        say(`[cluster-fanout ${run}/${settings.repeat}] case ${kase} (${result.nodes} node${result.nodes === 1 ? "" : "s"}): ${clusterCaseLine(result)}`);
        for (const note of result.notes) say(`    note: ${note}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ scenario: "cluster-fanout", target: `case ${kase}`, run, error: message });
        say(`[cluster-fanout ${run}/${settings.repeat}] case ${kase}: FAILED: ${message}`);
      }
    }
  }
  if (!values.profile || interrupted) return null;
  const dir = values["profile-dir"] ?? "/tmp/prof";
  mkdirSync(dir, { recursive: true });
  // Case A profiled as well: the same functions per delivery there show what the spread adds.
  const parts: string[] = [];
  for (const kase of ["A", "B"] as const) {
    if (interrupted) break;
    const before = new Set(readdirSync(dir));
    say(`profiling: cluster-fanout case ${kase}, node bench1 under node --cpu-prof (${dir})`);
    let delivered = Number.NaN;
    try {
      const result = await clusterCase(kase, 0, dir);
      delivered = result.metrics["delivered"] ?? Number.NaN;
      say(`[cluster-fanout profile] case ${kase} (not counted): ${clusterCaseLine(result)}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ scenario: "cluster-fanout", target: `case ${kase} (profiled)`, run: 0, error: message });
      parts.push(`profile: the profiled case ${kase} failed: ${message}`);
      continue;
    }
    const file = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile") && !before.has(f))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    parts.push(
      file
        ? `## CPU profile of node bench1 during cluster-fanout case ${kase} (${fmt(delivered, 0)} deliveries in all; set-up and traffic; top 20 by self time)\n\n${file}\n\n${formatSummary(summariseProfile(readProfile(file)), 20)}`
        : `profile: no new .cpuprofile appeared in ${dir}`,
    );
  }
  return parts.join("\n\n");
}

// ── tables of the ours-only scenarios ───────────────────────────────────────

function oursTable(results: readonly ScenarioResult[], scenario: "logins" | "login-storm"): string {
  const cell = aggregate(results, scenario, "ours");
  if (!cell) return `(no ${scenario} results)`;
  const rows = [`| metric | ours (median of ${cell.runs}) |`, "|---|---:|"];
  for (const def of METRICS[scenario]) rows.push(`| ${def.label} | ${fmt(cell.medians[def.key], def.digits)} |`);
  return rows.join("\n");
}

function stormTable(results: readonly ScenarioResult[]): string {
  const runs = results.filter((r) => r.scenario === "login-storm");
  const cell = aggregate(results, "login-storm", "ours");
  if (!cell) return "(no login-storm results)";
  const m = cell.medians;
  const row = (label: string, idle: string, storm: string, digits: number, ratio = true): string => {
    const a = m[idle];
    const b = m[storm];
    return `| ${label} | ${fmt(a, digits)} | ${fmt(b, digits)} | ${ratio && a !== undefined && b !== undefined ? fmt(b / a, 2) : ""} |`;
  };
  const p99 = runs.map((r) => r.metrics["p99_ratio"] ?? Number.NaN);
  const medianRatio = median(p99);
  return [
    `| chat (${settings.stormClients} clients in a channel, ${settings.stormRate} msg/s) | idle | ${settings.stormLogins} logins at once | storm/idle |`,
    "|---|---:|---:|---:|",
    row("latency p50 (ms)", "idle_p50_ms", "storm_p50_ms", 3),
    row("latency p99 (ms)", "idle_p99_ms", "storm_p99_ms", 3),
    row("latency max (ms)", "idle_max_ms", "storm_max_ms", 3),
    row("deliveries measured", "idle_samples", "storm_samples", 0, false),
    row("server CPU %", "idle_server_cpu_pct", "storm_server_cpu_pct", 0, false),
    row("server main thread (event loop) CPU %", "idle_main_cpu_pct", "storm_main_cpu_pct", 0, false),
    row("server main thread runnable without a CPU (% of time)", "idle_main_wait_pct", "storm_main_wait_pct", 1, false),
    row("other processes CPU % (noise)", "idle_others_cpu_pct", "storm_others_cpu_pct", 0, false),
    "",
    `p99 storm ÷ idle per run: ${p99.map((r) => fmt(r, 2)).join(", ")}; median ${fmt(medianRatio, 2)} (target ≤ 2: ${Number.isFinite(medianRatio) ? (medianRatio <= 2 ? "met" : "MISSED") : "–"}). ` +
      `Per run ${fmt(m["rounds"], 0)} rounds: ${fmt(m["logins_ok"], 0)} logins completed, ${fmt(m["logins_failed"], 0)} failed, ${fmt(m["storm_seconds"], 2)} s per storm (login p50 ${fmt(m["login_p50_ms"], 0)} ms, max ${fmt(m["login_max_ms"], 0)} ms); chat messages lost ${fmt(m["lost"], 0)}.`,
  ].join("\n");
}

// ── ftp: ours against vsftpd, driven by curl ──────────────────────────────────

const FTP_NOTE =
  "ftp: both servers run at once on CPU 1 and take turns (ours, vsftpd, vsftpd, ours, ...), the client (curl; ftp-many: the Node client) on CPU 0; " +
  "MB/s = 10^6 bytes/s; server CPU from /proc (vsftpd: all its processes, see bench/README.md)";

/** Details of the FTP setup, for the report. */
const ftpInfo: string[] = [];

function ftpContext(): FtpRunContext {
  return { ws: ftpWorkspace!, cpu: generatorCpu, timeoutSeconds: settings.timeoutSeconds };
}

/** Makes the test files (once) and, when vsftpd takes part, its Unix user. */
function prepareFtp(): void {
  if (ftpWorkspace) return;
  const big = ftpScenarios.some((s) => s === "ftp-stor" || s === "ftp-retr");
  say(`ftp: making the test files${big ? ` (${settings.fileMiB} MiB of random data)` : ""} ...`);
  ftpWorkspace = makeFtpWorkspace({
    bigBytes: big ? settings.fileMiB * 1024 * 1024 : 0,
    smallCount: ftpScenarios.includes("ftp-many") ? settings.manyFiles : 0,
    smallBytes: settings.manyKiB * 1024,
    tls: values.tls,
    ...(values["files-dir"] !== undefined && { parent: resolve(values["files-dir"]) }),
  });
  ftpInfo.push(`files and both servers' directories on ${ftpWorkspace.filesystem}`);
  if (oursEntry !== undefined) ftpInfo.push(`ours run from ${oursEntry}`);
  if (ftpTargets.includes("vsftpd")) {
    prepareFtpUser(ftpWorkspace.password);
    ftpUserPrepared = true;
    ftpInfo.push(vsftpdVersion());
  }
}

/** --ours-dist: another build of our server. */
const oursEntry = values["ours-dist"] === undefined ? undefined : join(resolve(values["ours-dist"]), "cli", "main.js");

async function startFtp(name: FtpServerName, cpuProfileDir?: string): Promise<FtpServerHandle> {
  const options = { cpu: serverCpu, tls: values.tls, ...(cpuProfileDir !== undefined && { cpuProfileDir }), ...(oursEntry !== undefined && { entry: oursEntry }) };
  const server = name === "ours" ? await startOursFtp(ftpWorkspace!, ftpWorkspace!.dir, options) : await startVsftpd(ftpWorkspace!, ftpWorkspace!.dir, options);
  live.add(server);
  return server;
}

function ftpLine(result: FtpResult): string {
  const m = result.metrics;
  const g = (key: string, digits: number): string => fmt(m[key], digits);
  if (result.scenario === "ftp-many") {
    return `${g("files_per_s", 0)} files/s; ${g("ok", 0)} ok, ${g("failed", 0)} failed; per file p50 ${g("file_p50_ms", 2)} p99 ${g("file_p99_ms", 2)} ms; logins ${g("login_s", 2)} s; server ${g("server_us_per_file", 0)} µs/file at ${g("server_cpu_pct", 0)}% CPU; generator ${g("gen_us_per_file", 0)} µs/file at ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%; ${g("seconds", 2)} s`;
  }
  return `${g("mbps", 1)} MB/s (session ${g("session_mbps", 1)}; data phase ${g("transfer_s", 3)} s after ${g("setup_s", 3)} s); server ${g("server_ms_per_mb", 3)} ms CPU/MB at ${g("server_cpu_pct", 0)}%; curl ${g("gen_ms_per_mb", 3)} ms/MB at ${g("gen_cpu_pct", 0)}%; others ${g("others_cpu_pct", 0)}%`;
}

/**
 * One FTP scenario: per run, both servers are started fresh and take turns, ABBA
 * (ours, vsftpd, vsftpd, ours, ...), so slow drifts in machine load hit both alike.
 */
async function ftpScenario(scenario: FtpScenarioName, runs: FtpResult[], failures: Failure[]): Promise<void> {
  prepareFtp();
  const ctx = ftpContext();
  const samples = scenario === "ftp-many" ? settings.manyRounds : settings.transfers;
  for (let run = 1; run <= settings.repeat; run++) {
    if (interrupted) return;
    const servers = new Map<FtpServerName, FtpServerHandle>();
    try {
      for (const name of ftpTargets) {
        try {
          servers.set(name, await startFtp(name));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ scenario, target: name, run, error: message });
          say(`[${scenario} ${run}/${settings.repeat}] ${name}: FAILED to start: ${message}`);
        }
      }
      await sleep(300);
      if (values.tls && run === 1) {
        for (const [name, server] of servers) {
          const line = `${name}: ${await negotiatedTls(server, ctx)}`;
          if (!ftpInfo.includes(line)) ftpInfo.push(line);
        }
      }
      // The first transfers after a start are slower for both servers (fresh tmpfs pages;
      // for ours also code not yet optimised): not measured.
      for (let i = 0; i < settings.warmup; i++) {
        for (const [name, server] of servers) {
          try {
            const { metrics } =
              scenario === "ftp-many"
                ? await ftpMany(server, { clients: settings.manyClients, filesPerClient: Math.max(1, Math.ceil(settings.manyFiles / 5)), client: manyClient }, ctx)
                : await ftpTransfer(server, scenario === "ftp-stor" ? "stor" : "retr", ctx);
            const shown = scenario === "ftp-many" ? `${fmt(metrics["files_per_s"], 0)} files/s` : `${fmt(metrics["mbps"], 1)} MB/s`;
            say(`[${scenario}${values.tls ? " tls" : ""} ${run}/${settings.repeat} warm-up] ${name}: ${shown} (not counted)`);
          } catch (error) {
            say(`[${scenario} ${run}/${settings.repeat} warm-up] ${name}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
      for (let sample = 1; sample <= samples; sample++) {
        const names = [...servers.keys()];
        const order = (run + sample) % 2 === 0 ? names : names.reverse();
        for (const name of order) {
          if (interrupted) return;
          const server = servers.get(name)!;
          try {
            const { metrics, notes } =
              scenario === "ftp-many"
                ? await ftpMany(server, { clients: settings.manyClients, filesPerClient: settings.manyFiles, client: manyClient }, ctx)
                : await ftpTransfer(server, scenario === "ftp-stor" ? "stor" : "retr", ctx);
            const result: FtpResult = { scenario, target: name, tls: values.tls, run, sample, metrics, notes };
            runs.push(result);
            say(`[${scenario}${values.tls ? " tls" : ""} ${run}/${settings.repeat} #${sample}] ${name}: ${ftpLine(result)}`);
            for (const note of notes) say(`    note: ${note}`);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push({ scenario, target: name, run, error: message });
            say(`[${scenario} ${run}/${settings.repeat} #${sample}] ${name}: FAILED: ${message}`);
          }
        }
      }
    } finally {
      for (const server of servers.values()) await stopTarget(server);
    }
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const low = Math.floor(pos);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (pos - low);
}

function ftpTable(runs: readonly FtpResult[]): string {
  const out: string[] = [];
  const both = ftpTargets.length === 2;
  for (const scenario of ftpScenarios) {
    const mine = runs.filter((r) => r.scenario === scenario);
    if (mine.length === 0) continue;
    const pick = (target: FtpServerName, key: string): number[] => mine.filter((r) => r.target === target).map((r) => r.metrics[key] ?? Number.NaN);
    const counts = ftpTargets.map((t) => mine.filter((r) => r.target === t).length).join("/");
    const size =
      scenario === "ftp-many"
        ? `${settings.manyClients} clients (${manyClient === "node" ? "Node client, one process" : "curl processes"}) × ${settings.manyFiles} files of ${settings.manyKiB} KiB, ${settings.manyRounds} round(s) per run`
        : `${settings.fileMiB} MiB file, ${settings.transfers} transfers per run`;
    out.push(`**${scenario}${values.tls ? " (TLS)" : ""}**: ${size}, ${settings.repeat} run(s); medians of all ${counts} samples`);
    out.push("");
    out.push(both ? "| metric | ours | vsftpd | ours/vsftpd |\n|---|---:|---:|---:|" : `| metric | ${ftpTargets[0]} |\n|---|---:|`);
    for (const def of FTP_METRICS[scenario]) {
      const values = ftpTargets.map((t) => median(pick(t, def.key)));
      const ratio = both ? ` ${fmt(values[0]! / values[1]!, 2)} |` : "";
      out.push(`| ${def.label} | ${values.map((v) => fmt(v, def.digits)).join(" | ")} |${ratio}`);
    }
    const key = scenario === "ftp-many" ? "files_per_s" : "mbps";
    const unit = scenario === "ftp-many" ? "files/s" : "MB/s";
    out.push("");
    for (const target of ftpTargets) {
      const all = pick(target, key);
      const perRun = [...new Set(mine.map((r) => r.run))].map((run) => median(mine.filter((r) => r.target === target && r.run === run).map((r) => r.metrics[key] ?? Number.NaN)));
      const iqr = quantile(all, 0.75) - quantile(all, 0.25);
      out.push(
        `- ${target} ${unit}: per-run medians ${perRun.map((v) => fmt(v, key === "mbps" ? 1 : 0)).join(", ")}; all samples ${fmt(Math.min(...all.filter(Number.isFinite)), 1)}–${fmt(Math.max(...all.filter(Number.isFinite)), 1)}, ` +
          `IQR ${fmt((iqr / median(all)) * 100, 1)} % of the median; other processes ${fmt(median(pick(target, "others_cpu_pct")), 0)} % (max ${fmt(Math.max(...pick(target, "others_cpu_pct").filter(Number.isFinite)), 0)} %) of 200 %`,
      );
    }
    if (both) {
      // Ratio of each pair measured back to back (same run, same sample number).
      const paired: number[] = [];
      for (const r of mine.filter((x) => x.target === "ours")) {
        const other = mine.find((x) => x.target === "vsftpd" && x.run === r.run && x.sample === r.sample);
        if (other) paired.push((r.metrics[key] ?? Number.NaN) / (other.metrics[key] ?? Number.NaN));
      }
      const ratio = median(pick("ours", key)) / median(pick("vsftpd", key));
      const target = scenario === "ftp-many" ? "" : ` (target ≥ 0.8: ${Number.isFinite(ratio) ? (ratio >= 0.8 ? "met" : "MISSED") : "–"})`;
      out.push(`- ours/vsftpd ${unit}: ${fmt(ratio, 2)}${target}; pairs run back to back: median ${fmt(median(paired), 2)}, range ${fmt(Math.min(...paired), 2)}–${fmt(Math.max(...paired), 2)} (${paired.length} pairs)`);
    }
    const busy = mine.filter((r) => (r.metrics["gen_cpu_pct"] ?? 0) >= 90);
    if (busy.length > 0) out.push(`- WARNING: the generator used >= 90 % of its CPU in ${busy.length} of ${mine.length} samples: the generator (curl, or the Node client in ftp-many) may have set the pace there.`);
    out.push("");
  }
  return out.join("\n");
}

/** Runs each selected FTP scenario once more against ours under node --cpu-prof; returns the summaries. */
async function profileOursFtp(): Promise<string> {
  const dir = values["profile-dir"] ?? "/tmp/prof";
  mkdirSync(dir, { recursive: true });
  prepareFtp();
  const ctx = ftpContext();
  const parts: string[] = [];
  for (const scenario of ftpScenarios) {
    if (interrupted) break;
    const before = new Set(readdirSync(dir));
    say(`profiling: ${scenario}${values.tls ? " (TLS)" : ""} against ours under node --cpu-prof (${dir})`);
    const server = await startFtp("ours", dir);
    try {
      await sleep(300);
      for (let i = 1; i <= (scenario === "ftp-many" ? 2 : 6); i++) {
        const { metrics, notes } =
          scenario === "ftp-many"
            ? await ftpMany(server, { clients: settings.manyClients, filesPerClient: settings.manyFiles, client: manyClient }, ctx)
            : await ftpTransfer(server, scenario === "ftp-stor" ? "stor" : "retr", ctx);
        say(`[profile ${scenario}] ours: ${ftpLine({ scenario, target: "ours", tls: values.tls, run: 0, sample: i, metrics, notes })}`);
      }
    } finally {
      await stopTarget(server, "SIGINT", 30_000);
    }
    const file = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile") && !before.has(f))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    parts.push(
      file
        ? `## CPU profile of ours during ${scenario}${values.tls ? " (TLS)" : ""} (top 15 by self time)\n\n${file}\n\n${formatSummary(summariseProfile(readProfile(file)), 15)}`
        : `profile: no new .cpuprofile appeared in ${dir}`,
    );
  }
  return parts.join("\n\n");
}

// ── main ──────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const historyRuns: HistoryRun[] = [];
  const ftpRuns: FtpResult[] = [];
  const failures: Failure[] = [];
  const ws: { result: WsFanoutResult | null } = { result: null };
  let wsProfile: string | null = null;
  const clusterRuns: ClusterCaseResult[] = [];
  let clusterProfile: string | null = null;
  say(`settings: ${JSON.stringify(settings)}; ours with history ${history ? "on" : "off"}; generator CPU ${generatorCpu ?? "any"}, servers CPU ${serverCpu ?? "any"}; open files ${openFileLimit().soft}`);
  if (oursOnly.length > 0) say(`note: ${OURS_ONLY_NOTE}`);

  for (const scenario of scenarios) {
    if (scenario === "history-overhead") {
      await historyOverhead(historyRuns, failures);
      continue;
    }
    if (scenario === "ws-fanout") {
      if (targets.includes("ours")) wsProfile = await wsFanoutRun(ws, failures);
      else say("skipping ws-fanout: it runs against our server only; --target excludes ours");
      continue;
    }
    if (scenario === "cluster-fanout") {
      if (targets.includes("ours")) clusterProfile = await clusterFanoutRun(clusterRuns, failures);
      else say("skipping cluster-fanout: it runs against our server only; --target excludes ours");
      continue;
    }
    if (isFtp(scenario)) {
      await ftpScenario(scenario, ftpRuns, failures);
      continue;
    }
    const scenarioTargets: readonly TargetName[] = OURS_ONLY.includes(scenario) ? targets.filter((t) => t === "ours") : targets;
    if (scenarioTargets.length === 0) {
      say(`skipping ${scenario}: it runs against our server only (ngircd has no accounts); --target excludes ours`);
      continue;
    }
    for (let run = 1; run <= settings.repeat; run++) {
      // Alternate which server goes first, so slow drifts in machine load hit both.
      const order = run % 2 === 1 ? scenarioTargets : [...scenarioTargets].reverse();
      for (const target of order) {
        if (interrupted) return;
        await runOnce(scenario, target, run, results, failures);
      }
    }
  }

  let profile: string | null = wsProfile ?? clusterProfile;
  if (wsProfile !== null && clusterProfile !== null) profile = `${wsProfile}\n\n${clusterProfile}`;
  if (values.profile && !interrupted && (compared.includes("fanout") || (ftpScenarios.length === 0 && profile === null))) profile = await profileOurs();
  if (values.profile && !interrupted && ftpScenarios.length > 0 && ftpTargets.includes("ours")) {
    const ftpProfile = await profileOursFtp();
    profile = profile === null ? ftpProfile : `${profile}\n\n${ftpProfile}`;
  }

  const out: string[] = [];
  out.push("");
  out.push(`## Results (median of ${settings.repeat} run${settings.repeat === 1 ? "" : "s"}; ${new Date().toISOString()})`);
  out.push("");
  const threadpool = settings.threadpool === null ? "UV_THREADPOOL_SIZE not set (4)" : `UV_THREADPOOL_SIZE=${settings.threadpool}`;
  out.push(
    `fanout: ${settings.clients} clients, ${settings.senders} senders × ${settings.messages} messages, window ${settings.window}; ` +
      `direct: ${settings.pairs} pairs × 2 × ${settings.messages} messages, window ${settings.window}; connect: ${settings.connections} idle clients; ` +
      `text ${settings.textBytes} bytes; ours with history.enabled=${history}, ${threadpool}; servers on CPU ${serverCpu ?? "any"}, generator on CPU ${generatorCpu ?? "any"}`,
  );
  if (compared.length > 0) {
    out.push("");
    out.push(table(results));
  }
  if (ftpScenarios.length > 0) {
    out.push("");
    out.push(`### FTP${values.tls ? "S (AUTH TLS, PROT P)" : " (plain)"}: ours against vsftpd`);
    out.push("");
    out.push(`${FTP_NOTE}; ${ftpInfo.join("; ")}`);
    out.push("");
    out.push(ftpTable(ftpRuns));
  }
  if (oursOnly.length > 0) {
    out.push("");
    out.push(OURS_ONLY_NOTE);
  }
  if (scenarios.includes("logins")) {
    out.push("");
    out.push(`### logins: ${settings.logins} SASL PLAIN logins, ${settings.loginConcurrency} in flight, round ${settings.accounts} accounts (ours only)`);
    out.push("");
    out.push(oursTable(results, "logins"));
  }
  if (scenarios.includes("login-storm")) {
    out.push("");
    out.push(
      `### login-storm: chat latency while ${settings.stormLogins} clients log in at once (ours only; ${settings.stormRounds} rounds per run of ${settings.idleSeconds} s idle, less its first 0.5 s, then the storm)`,
    );
    out.push("");
    out.push(stormTable(results));
    out.push("");
    out.push(oursTable(results, "login-storm"));
  }
  if (ws.result) {
    out.push("");
    out.push(
      `### ws-fanout: ${settings.wsClients} WebSocket clients in #ws against ${settings.wsClients} TCP clients in #tcp, one server (ours only; ` +
        `${settings.senders} senders × ${settings.messages} messages per phase, ${settings.repeat} round(s) of a TCP and a WebSocket phase)`,
    );
    out.push("");
    out.push(wsFanoutTable(ws.result, fmt));
  }
  if (clusterRuns.length > 0) {
    out.push("");
    out.push(
      `### cluster-fanout: ${settings.clusterClients} clients in #cluster, ${settings.clusterSenders} senders × ${settings.clusterMessages} messages (after ${settings.clusterWarmup} unmeasured), window ${settings.window}; ` +
        `case A one node, case B ${settings.clusterNodes} nodes (client i on node i mod ${settings.clusterNodes}); both on Redis and PostgreSQL, history ${history ? "on" : "off"}; ` +
        `${settings.repeat} A/B pair(s); nodes and Redis on CPU ${serverCpu ?? "any"}, generator on CPU ${generatorCpu ?? "any"}`,
    );
    out.push("");
    out.push(clusterFanoutTable(clusterRuns, fmt));
  }
  if (scenarios.includes("history-overhead")) {
    out.push("");
    out.push(`### history-overhead: fanout against ours, history on vs off (ours only; ${settings.clients} clients, ${settings.senders} senders × ${settings.messages} messages)`);
    out.push("");
    out.push(historyTable(historyRuns));
  }
  const busy = [...results, ...historyRuns.map((r) => r.result)].filter((r) => (r.metrics["gen_cpu_pct"] ?? 0) >= 90);
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
    writeFileSync(jsonFile, `${JSON.stringify({ settings, history, tls: values.tls, cpuProfDir: cpuProfDir ?? null, scenarios, targets, ftpTargets, ftpInfo, results, historyRuns, ftpRuns, wsFanout: ws.result, clusterRuns, failures }, null, 2)}\n`);
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
