/**
 * The rooms benchmark: many small rooms at a steady message rate (lib/rooms-scenario.ts),
 * against our server (history on, and off) and the C/C++ peers Debian packages:
 * InspIRCd and ngircd. Servers are pinned to CPU 1, this generator to CPU 0, and every
 * target runs in turn, `--repeat` times, a fresh server each time; the table holds the
 * medians and the ratios ours ÷ peer.
 *
 *   npm run bench:rooms -- [--targets ours,ours-nohistory,inspircd,ngircd] [--clients 2000] …
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startInspircd } from "./lib/inspircd.js";
import { cpuCount, pinSelf, raiseOpenFileLimit } from "./lib/proc.js";
import { rooms, ROOMS_METRICS, type RoomsOptions, type RoomsResult } from "./lib/rooms-scenario.js";
import { makeBaseDir, REPO_ROOT, startNgircd, startOurs, type ServerHandle } from "./lib/servers.js";
import { commandLine } from "./lib/command-line.js";
import { watchFileSize } from "./lib/file-size-watch.js";
import { median } from "./lib/median.js";

const TARGETS = ["ours", "ours-nohistory", "inspircd", "ngircd"] as const;
type TargetName = (typeof TARGETS)[number];

const usage = `usage: npm run bench:rooms -- [options]
  --targets LIST   comma-separated: ours (history on), ours-nohistory, inspircd, ngircd   (all four)
  --clients N      clients                                   (2000)
  --room N         clients per room                          (10)
  --rate N         messages per second each client sends     (5)
  --seconds N      how long each client sends                (20)
  --text N         bytes of message text                     (100)
  --repeat N       runs per target; the table shows medians  (1)
  --data-dir D     parent of the servers' directories (ours keeps its SQLite database there);
                   default: the system temporary directory (the machine's disk here, not tmpfs)
  --accounts       ours: clients register accounts and log in (SASL PLAIN) before the run,
                   instead of staying guests (peers: guests, having no accounts)
  --database-url U ours: PostgreSQL instead of SQLite
  --profile DIR    ours: run under node --cpu-prof, the profile written to DIR
  --ours-dist DIR  run our server from this build directory instead of dist/ (e.g. a patched copy)
  --commit-interval-ms N  ours: history.commitIntervalMs, 0–1000 (the server's default when not given)
  --node-args=A    ours: options for node itself, e.g. --node-args=--max-semi-space-size=2 (the = is needed)
  --no-build       use dist/ as it is (default: tsc -p tsconfig.build.json first)
  --json FILE      results as JSON                           (bench/results/rooms-<time>.json)
`;

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: TARGETS.join(",") },
    clients: { type: "string", default: "2000" },
    room: { type: "string", default: "10" },
    rate: { type: "string", default: "5" },
    seconds: { type: "string", default: "20" },
    text: { type: "string", default: "100" },
    repeat: { type: "string", default: "1" },
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    accounts: { type: "boolean", default: false },
    profile: { type: "string" },
    "ours-dist": { type: "string" },
    "node-args": { type: "string", default: "" },
    "commit-interval-ms": { type: "string" },
    "no-build": { type: "boolean", default: false },
    json: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const { fail, positive, whole } = commandLine(usage, values.help);

const targets = values.targets.split(",").map((name) => {
  const trimmed = name.trim();
  return (TARGETS as readonly string[]).includes(trimmed) ? (trimmed as TargetName) : fail(`unknown target ${trimmed}`);
});
const options: RoomsOptions = {
  clients: Math.round(positive("clients", values.clients)),
  roomSize: Math.round(positive("room", values.room)),
  rate: positive("rate", values.rate),
  seconds: positive("seconds", values.seconds),
  textBytes: Math.round(positive("text", values.text)),
  timeoutSeconds: 120 + positive("seconds", values.seconds) * 2,
};
const repeat = Math.round(positive("repeat", values.repeat));
/** The server refuses a config with more (history.commitIntervalMs is 0–1000). */
const commitIntervalMs = (text: string): number => {
  const ms = whole("commit-interval-ms", text);
  return ms <= 1000 ? ms : fail("--commit-interval-ms must be at most 1000");
};

const say = (line: string): void => void process.stderr.write(`${line}\n`);

raiseOpenFileLimit(2 * options.clients + 512);
const pin = cpuCount() >= 2;
if (pin && !pinSelf(0)) say("warning: could not pin the generator to CPU 0 (taskset)");
const serverCpu = pin ? 1 : null;

if (!values["no-build"] && targets.some((t) => t.startsWith("ours"))) {
  say("building (tsc -p tsconfig.build.json) ...");
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
}

const baseDir = values["data-dir"] === undefined ? makeBaseDir() : values["data-dir"];
mkdirSync(baseDir, { recursive: true });

function start(target: TargetName): Promise<ServerHandle> {
  const common = { cpu: serverCpu, baseDir };
  switch (target) {
    case "ours":
    case "ours-nohistory":
      return startOurs({
        ...common,
        history: target === "ours",
        ...(values["database-url"] !== undefined && { databaseUrl: values["database-url"] }),
        ...(values.profile !== undefined && { cpuProfileDir: values.profile }),
        ...(values["ours-dist"] !== undefined && { entry: join(resolve(values["ours-dist"]), "cli", "main.js") }),
        ...(values["commit-interval-ms"] !== undefined && { commitIntervalMs: commitIntervalMs(values["commit-interval-ms"]) }),
        nodeArgs: values["node-args"].split(" ").filter((arg) => arg !== ""),
      });
    case "inspircd":
      return startInspircd(common);
    case "ngircd":
      return startNgircd(common);
  }
}

const results: RoomsResult[] = [];
say(`rooms: ${options.clients} clients in rooms of ${options.roomSize}, ${options.rate} msgs/s each for ${options.seconds} s, text ${options.textBytes} B; servers on CPU ${serverCpu ?? "any"}, data under ${baseDir}`);
for (let run = 0; run < repeat; run++) {
  for (const target of targets) {
    const server = await start(target);
    // Ours with history on SQLite: how large its WAL grew (bounded since 2026-12-06, see bench/README.md).
    const wal = target === "ours" && values["database-url"] === undefined ? watchFileSize(join(server.dir, "data", "cmymessage.db-wal")) : null;
    try {
      const measured = await rooms({ ...server, name: target }, { ...options, accounts: values.accounts && target.startsWith("ours") });
      const walMiB = wal ? wal.stop() / 2 ** 20 : null;
      const result: RoomsResult = walMiB === null ? measured : { ...measured, metrics: { ...measured.metrics, wal_max_mib: walMiB } };
      results.push(result);
      const m = result.metrics;
      const walNote = walMiB === null ? "" : `, WAL at most ${walMiB.toFixed(1)} MiB`;
      say(`${target} #${run + 1}: ${m["rate"]!.toFixed(0)} deliveries/s, ${m["server_us_per"]!.toFixed(2)} µs/delivery, p99 ${m["p99_ms"]!.toFixed(1)} ms, lost ${m["lost"]}, generator ${m["gen_cpu_pct"]!.toFixed(0)}% CPU${walNote}${result.notes.length > 0 ? `; ${result.notes.join("; ")}` : ""}`);
    } finally {
      wal?.stop();
      await server.stop();
      rmSync(server.dir, { recursive: true, force: true });
    }
  }
}

const medians = new Map(targets.map((t) => [t, new Map(ROOMS_METRICS.map((m) => [m.key, median(results.filter((r) => r.target === t).map((r) => r.metrics[m.key]!))]))]));
const peers = targets.filter((t) => !t.startsWith("ours"));
const header = `| metric | ${targets.join(" | ")} |${peers.map((p) => ` ours ÷ ${p} |`).join("")}`;
const lines = [header, `|---|${targets.map(() => "---:|").join("")}${peers.map(() => "---:|").join("")}`];
for (const metric of ROOMS_METRICS) {
  const cells = targets.map((t) => medians.get(t)!.get(metric.key)!.toFixed(metric.digits));
  const ours = medians.get("ours")?.get(metric.key);
  const ratios = peers.map((p) => {
    const peer = medians.get(p)!.get(metric.key)!;
    return ours === undefined || !Number.isFinite(ours) || !Number.isFinite(peer) || peer === 0 ? "" : (ours / peer).toFixed(2);
  });
  lines.push(`| ${metric.label} | ${cells.join(" | ")} |${ratios.map((r) => ` ${r} |`).join("")}`);
}
process.stdout.write(`\n${lines.join("\n")}\n`);

const jsonFile = values.json ?? join(REPO_ROOT, "bench", "results", `rooms-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
mkdirSync(join(jsonFile, ".."), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify({ options, repeat, targets, results }, null, 2)}\n`);
say(`results: ${jsonFile}`);
if (values["data-dir"] === undefined) rmSync(baseDir, { recursive: true, force: true });
