/**
 * The scale study of issue 12: does the server keep its latency when the database
 * holds a year of history (10 million messages, 50,000 accounts)? For each database
 * (SQLite, PostgreSQL) our server runs on an empty database and on a full one
 * (bench/scale-data.ts), pinned to CPU 1 with this generator on CPU 0, and the same
 * requests are timed one at a time on both (lib/scale-scenario.ts); then a retention
 * pass deletes the oldest share of the full history while a paced chat is measured
 * (lib/scale-retention.ts). The table gives p50/p99 empty and full and the ratio.
 *
 *   npm run bench:scale -- --messages 200000                     # quick (~1–2 min per database)
 *   npm run bench:scale -- --sqlite-data DIR --databases sqlite  # an existing full data directory
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchPassword } from "./lib/accounts.js";
import { createSchema, DEFAULT_POSTGRES_URL, postgresBackendPids, postgresPort } from "./lib/postgres.js";
import { cpuCount, pinSelf, raiseOpenFileLimit } from "./lib/proc.js";
import { MANIFEST_NAME, readManifest, type ScaleManifest } from "./lib/scale-manifest.js";
import type { OpResult } from "./lib/scale-measure.js";
import { openRefReader } from "./lib/scale-refs.js";
import { maxAgeDaysFor, retentionPass, type RetentionResult } from "./lib/scale-retention.js";
import { idleChat, runScale, type Cast, type RunResult, type ScaleRunOptions, type SearchWords, type Side } from "./lib/scale-scenario.js";
import { startScaleServer } from "./lib/scale-server.js";
import { accountName, Rng, SCALE_PASSWORD, ScaleShape, vocabulary } from "./lib/scale-shape.js";
import type { Target } from "./lib/scenarios.js";
import { REPO_ROOT } from "./lib/servers.js";
import { commandLine } from "./lib/command-line.js";

const usage = `usage: npm run bench:scale -- [options]
  --databases LIST      sqlite, postgres or both                          (sqlite,postgres)
  --messages N          messages of the full database, when generated    (10000000)
  --accounts N          accounts of the full database, when generated    (50000)
  --sqlite-data DIR     use this full SQLite data directory (made by bench/scale-data.ts) instead of generating one
  --postgres-manifest F use this full PostgreSQL schema (the manifest bench/scale-data.ts wrote) instead of generating one
  --postgres-url U      (${DEFAULT_POSTGRES_URL})
  --work-dir D          where generated data and server directories go   (the system temporary directory: the disk, not tmpfs)
  --keep                keep generated full databases (printed) instead of deleting them
  --requests N          requests per history kind (IRC and HTTP)         (200)
  --searches N          requests per search word                          (50)
  --logins N            SASL PLAIN logins                                 (40)
  --registrations N     REGISTERs of new accounts                         (20)
  --page N              messages per history page                         (50)
  --chat-rate N         chat messages per second (retention and idle)     (100)
  --chat-seconds S      idle chat, and chat after the retention pass     (10)
  --retention-share F   share of the full history the pass deletes        (0.1)
  --no-retention        skip the retention pass (it deletes from the full database)
  --retention-only      only the retention pass (compared with the chat after it, on the same server)
  --pass-timeout S      longest wait for the retention pass               (1200)
  --no-build            use dist/ as it is (default: tsc -p tsconfig.build.json first)
  --json FILE           results as JSON                                   (bench/results/scale-<time>.json)
`;

const { values } = parseArgs({
  options: {
    databases: { type: "string", default: "sqlite,postgres" },
    messages: { type: "string", default: "10000000" },
    accounts: { type: "string", default: "50000" },
    "sqlite-data": { type: "string" },
    "postgres-manifest": { type: "string" },
    "postgres-url": { type: "string", default: DEFAULT_POSTGRES_URL },
    "work-dir": { type: "string" },
    keep: { type: "boolean", default: false },
    requests: { type: "string", default: "200" },
    searches: { type: "string", default: "50" },
    logins: { type: "string", default: "40" },
    registrations: { type: "string", default: "20" },
    page: { type: "string", default: "50" },
    "chat-rate": { type: "string", default: "100" },
    "chat-seconds": { type: "string", default: "10" },
    "retention-share": { type: "string", default: "0.1" },
    "no-retention": { type: "boolean", default: false },
    "retention-only": { type: "boolean", default: false },
    "pass-timeout": { type: "string", default: "1200" },
    "no-build": { type: "boolean", default: false },
    json: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const { fail, positive } = commandLine(usage, values.help);

type DatabaseKind = "sqlite" | "postgres";
const databases = values.databases.split(",").map((d) => (d === "sqlite" || d === "postgres" ? d : fail(`unknown database ${d}`))) as DatabaseKind[];
const options: ScaleRunOptions = {
  requests: Math.round(positive("requests", values.requests)),
  searches: Math.round(positive("searches", values.searches)),
  logins: Math.round(positive("logins", values.logins)),
  registrations: Math.max(2, Math.round(positive("registrations", values.registrations))),
  page: Math.round(positive("page", values.page)),
  chatRate: positive("chat-rate", values["chat-rate"]),
  chatSeconds: positive("chat-seconds", values["chat-seconds"]),
  timeoutMs: 60_000,
};
const retentionShare = positive("retention-share", values["retention-share"]);
const say = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

raiseOpenFileLimit(4096);
const pin = cpuCount() >= 2;
if (pin && !pinSelf(0)) say("warning: could not pin the generator to CPU 0 (taskset)");
const serverCpu = pin ? 1 : null;

if (!values["no-build"]) {
  say("building (tsc -p tsconfig.build.json) ...");
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
}

const workDir = mkdtempSync(join(values["work-dir"] ?? tmpdir(), "cmy-scale-"));
const vocab = vocabulary(30_000);
const words: SearchWords = { common: vocab[50]!, middle: vocab[500]!, rare: vocab[5000]! };

/** Runs bench/scale-data.ts as a child (its output goes to our stderr). */
function generate(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "bench", "scale-data.ts"), ...args], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`scale-data.ts exited with ${code}`))));
  });
}

async function fullDatabase(kind: DatabaseKind): Promise<{ manifest: ScaleManifest; generated: boolean }> {
  const sizes = ["--messages", values.messages, "--accounts", values.accounts];
  if (kind === "sqlite") {
    if (values["sqlite-data"] !== undefined) return { manifest: readManifest(join(values["sqlite-data"], MANIFEST_NAME)), generated: false };
    const dir = join(workDir, "sqlite-full");
    say(`generating the full SQLite database in ${dir} ...`);
    await generate(["--dir", dir, ...sizes]);
    return { manifest: readManifest(join(dir, MANIFEST_NAME)), generated: true };
  }
  if (values["postgres-manifest"] !== undefined) return { manifest: readManifest(values["postgres-manifest"]), generated: false };
  const file = join(workDir, "postgres-full.json");
  say("generating the full PostgreSQL schema ...");
  await generate(["--postgres", "--postgres-url", values["postgres-url"], "--manifest", file, ...sizes]);
  return { manifest: readManifest(file), generated: true };
}

async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: values["postgres-url"] });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
  } finally {
    await client.end();
  }
}

interface StateResult {
  readonly ops: OpResult[];
  readonly chat: RunResult["chat"];
}

interface Running {
  readonly side: Side;
  readonly stop: () => Promise<void>;
}

/** Starts our server on one database (pinned to the servers' CPU) and says how to talk to it. */
async function startSide(kind: DatabaseKind, label: string, dataDir: string, url: string, full: ScaleManifest | null): Promise<Running> {
  const server = await startScaleServer({ cpu: serverCpu, baseDir: workDir, dataDir, databaseUrl: url, maxAgeDays: 0 });
  const target: Target = {
    name: `ours-${kind}-${label}`,
    host: server.host,
    port: server.port,
    pid: server.pid,
    ...(kind === "postgres" && { helperPids: () => postgresBackendPids(server.pid, postgresPort(url)) }),
  };
  const refs = await openRefReader(kind, dataDir, url);
  const password = full ? SCALE_PASSWORD : benchPassword();
  const cast = (registered: readonly string[]): Cast => {
    if (full) {
      // The longest direct conversation's two accounts; logins go to accounts drawn at random.
      const [a, b] = new ScaleShape(full.shape).pair(0);
      const rng = new Rng(7);
      const logins = Array.from({ length: options.logins + 10 }, () => accountName(rng.below(full.shape.accounts)));
      return { reader: accountName(a), peer: accountName(b), password, loginAccount: (i) => logins[i % logins.length]! };
    }
    if (registered.length < 2) throw new Error("fewer than two accounts could be registered");
    return { reader: registered[0]!, peer: registered[1]!, password, loginAccount: (i) => registered[i % registered.length]! };
  };
  return {
    side: { target, httpPort: server.httpPort, refs, password, cast },
    stop: async () => {
      await refs.close();
      await server.stop();
    },
  };
}

/** Both databases at once: the requests alternate between them (lib/scale-measure.ts); then each one's idle chat. */
async function measurePair(kind: DatabaseKind, empty: { dataDir: string; url: string }, full: ScaleManifest): Promise<{ empty: StateResult; full: StateResult }> {
  say(`${kind}: starting our server on the empty and on the full database`);
  const running: Running[] = [];
  try {
    running.push(await startSide(kind, "empty", empty.dataDir, empty.url, null));
    running.push(await startSide(kind, "full", full.dataDir ?? join(workDir, "postgres-full-data"), full.url ?? "", full));
    say("  (each line: empty  |  full)");
    const [emptyOps, fullOps] = await runScale(
      running.map((r) => r.side),
      words,
      options,
      say,
    );
    const chats: Array<RunResult["chat"]> = [];
    for (const r of running) {
      const chat = await idleChat(r.side.target, options);
      say(`  ${r.side.target.name} idle chat: p50 ${chat.p50.toFixed(2)} ms, p99 ${chat.p99.toFixed(2)} ms, max ${chat.max.toFixed(2)} ms (${chat.samples} deliveries, ${chat.lost} lost)`);
      chats.push(chat);
    }
    return { empty: { ops: emptyOps!, chat: chats[0]! }, full: { ops: fullOps!, chat: chats[1]! } };
  } finally {
    for (const r of running) await r.stop();
  }
}

async function retention(kind: DatabaseKind, full: ScaleManifest): Promise<RetentionResult & { maxAgeDays: number }> {
  const dataDir = full.dataDir ?? join(workDir, "postgres-full-data");
  const url = full.url ?? "";
  const refs = await openRefReader(kind, dataDir, url);
  const cutoff = await refs.timeAt(Math.floor(full.shape.messages * retentionShare));
  await refs.close();
  if (cutoff === null) throw new Error("no messages to cut off");
  const maxAgeDays = maxAgeDaysFor(cutoff);
  say(`${kind} retention: history.maxAgeDays ${maxAgeDays.toFixed(3)} (the oldest ${(retentionShare * 100).toFixed(0)} %)`);
  const server = await startScaleServer({ cpu: serverCpu, baseDir: workDir, dataDir, databaseUrl: url, maxAgeDays });
  const target: Target = {
    name: `ours-${kind}-retention`,
    host: server.host,
    port: server.port,
    pid: server.pid,
    ...(kind === "postgres" && { helperPids: () => postgresBackendPids(server.pid, postgresPort(url)) }),
  };
  try {
    const result = await retentionPass(server, target, { chatRate: options.chatRate, chatSeconds: options.chatSeconds, timeoutMs: options.timeoutMs, passTimeoutSeconds: positive("pass-timeout", values["pass-timeout"]) });
    say(
      `  pass: ${result.deleted} deleted in ${result.passSeconds.toFixed(1)} s; chat during p50 ${result.during.p50.toFixed(2)} / p99 ${result.during.p99.toFixed(2)} / max ${result.during.max.toFixed(2)} ms (${result.during.samples}), after p99 ${result.after.p99.toFixed(2)} ms; server ${result.serverCpuPct.toFixed(0)}% CPU, others ${result.othersPct.toFixed(0)}%${result.notes.length > 0 ? `; ${result.notes.join("; ")}` : ""}`,
    );
    return { ...result, maxAgeDays };
  } finally {
    await server.stop();
  }
}

interface DatabaseResult {
  readonly kind: DatabaseKind;
  readonly manifest: ScaleManifest;
  readonly empty: StateResult | null;
  readonly full: StateResult | null;
  readonly retention: (RetentionResult & { maxAgeDays: number }) | null;
}

const results: DatabaseResult[] = [];
try {
  for (const kind of databases) {
    const { manifest, generated } = await fullDatabase(kind);
    try {
      say(`${kind}: full database of ${manifest.shape.messages} messages, ${manifest.shape.accounts} accounts, ${manifest.bytes} bytes (${(manifest.bytes / Math.max(1, manifest.shape.messages)).toFixed(0)} B/message)`);
      let pair: { empty: StateResult; full: StateResult } | null = null;
      if (values["retention-only"]) {
        // Nothing but the pass below.
      } else if (kind === "sqlite") {
        pair = await measurePair(kind, { dataDir: join(workDir, "sqlite-empty"), url: "" }, manifest);
      } else {
        const schema = await createSchema(values["postgres-url"]);
        try {
          pair = await measurePair(kind, { dataDir: join(workDir, "postgres-empty-data"), url: schema.url }, manifest);
        } finally {
          await schema.drop();
        }
      }
      const pass = values["no-retention"] ? null : await retention(kind, manifest);
      results.push({ kind, manifest, empty: pair?.empty ?? null, full: pair?.full ?? null, retention: pass });
    } finally {
      if (generated && !values.keep) {
        if (manifest.schema !== null) await dropSchema(manifest.schema);
        if (manifest.dataDir !== null) rmSync(manifest.dataDir, { recursive: true, force: true });
      } else if (generated) say(`kept: ${manifest.dataDir ?? `schema ${manifest.schema}`}`);
    }
  }
} finally {
  if (!values.keep || !existsSync(join(workDir, "sqlite-full"))) rmSync(workDir, { recursive: true, force: true });
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const lines: string[] = [];
for (const r of results) {
  const m = r.manifest;
  lines.push(
    `\n**${r.kind}**: full = ${m.shape.messages.toLocaleString("en")} messages, ${m.shape.accounts.toLocaleString("en")} accounts, ${(m.bytes / 2 ** 20).toFixed(0)} MiB = ${(m.bytes / Math.max(1, m.shape.messages)).toFixed(0)} bytes per message (generated at ${Math.round(m.messageRowsPerSecond).toLocaleString("en")} rows/s)\n`,
  );
  if (r.empty && r.full) requestTable(r.empty, r.full);
  const idle = r.full?.chat.p99 ?? Number.NaN;
  const p = r.retention;
  if (p) {
    lines.push("");
    lines.push("| retention pass | value |");
    lines.push("|---|---:|");
    lines.push(`| messages deleted (history.maxAgeDays ${fmt(p.maxAgeDays, 2)}) | ${p.deleted} |`);
    lines.push(`| pass duration (s, from the server's spawn) | ${fmt(p.passSeconds, 1)} |`);
    lines.push(`| chat p50 / p99 / max during the pass (ms) | ${fmt(p.during.p50)} / ${fmt(p.during.p99)} / ${fmt(p.during.max)} (${p.during.samples} deliveries) |`);
    lines.push(`| chat p99 after the pass, same server (ms) | ${fmt(p.after.p99)} |`);
    lines.push(`| chat p99 idle, full database (ms) | ${fmt(idle)} |`);
    lines.push(`| **p99 during ÷ idle** (goal ≤ 1.5) | **${fmt(p.during.p99 / idle)}** (÷ after: ${fmt(p.during.p99 / p.after.p99)}) |`);
    lines.push(`| largest stall seen (max chat latency during the pass, ms) | ${fmt(p.during.max)} |`);
    lines.push(`| server CPU / postgres CPU / others during the pass (% of one CPU) | ${fmt(p.serverCpuPct, 0)} / ${fmt(p.databaseCpuPct, 0)} / ${fmt(p.othersPct, 0)} |`);
    if (p.notes.length > 0) lines.push(`\n${p.notes.join("; ")}`);
  }
  if (r.full) {
    const others = r.full.ops.map((o) => o.othersPct);
    lines.push(`\nother processes during the requests: ${fmt(Math.min(...others), 0)}–${fmt(Math.max(...others), 0)} % of one CPU (of 200); generator ${fmt(Math.max(...r.full.ops.map((o) => o.generatorPct)), 0)} % at most`);
  }
}

function requestTable(empty: StateResult, full: StateResult): void {
  lines.push("| request | empty p50 | empty p99 | full p50 | full p99 | **p99 full ÷ empty** | server CPU ms/req empty → full | items/answer (full) | goal ≤ 2 |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|:--:|");
  for (const op of full.ops) {
    const e = empty.ops.find((o) => o.name.replace(/\(.*\)/, "") === op.name.replace(/\(.*\)/, ""));
    const ratio = e ? op.p99 / e.p99 : Number.NaN;
    const db = Number.isFinite(op.databaseMs) ? ` (+ postgres ${fmt(e?.databaseMs ?? Number.NaN)} → ${fmt(op.databaseMs)})` : "";
    lines.push(`| ${op.name}${op.failed > 0 ? ` (${op.failed} failed)` : ""} | ${fmt(e?.p50 ?? Number.NaN)} | ${fmt(e?.p99 ?? Number.NaN)} | ${fmt(op.p50)} | ${fmt(op.p99)} | **${fmt(ratio)}** | ${fmt(e?.serverMs ?? Number.NaN)} → ${fmt(op.serverMs)}${db} | ${fmt(op.items, 1)} | ${Number.isFinite(ratio) ? (ratio <= 2 ? "met" : "**missed**") : ""} |`);
  }
  lines.push(`| chat, idle (${options.chatRate} msgs/s) | ${fmt(empty.chat.p50)} | ${fmt(empty.chat.p99)} | ${fmt(full.chat.p50)} | ${fmt(full.chat.p99)} | ${fmt(full.chat.p99 / empty.chat.p99)} | | | |`);
}
process.stdout.write(`${lines.join("\n")}\n`);

const jsonFile = values.json ?? join(REPO_ROOT, "bench", "results", `scale-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
mkdirSync(join(jsonFile, ".."), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify({ options, retentionShare, words, results }, null, 2)}\n`);
say(`results: ${jsonFile}`);
