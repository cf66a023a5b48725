/**
 * RSS per idle registered connection: ours, the floor of any Node.js server built on
 * `net.Socket` (lib/bare-socket-server.mjs: a socket, three listeners and a `001`), and
 * ngircd, in one run. Clients register with NICK/USER and stay idle, as in the `connect`
 * scenario of bench/run.ts. Two figures per server:
 *
 * - from the start: RSS growth from the fresh server to `--warmup` + `--clients`
 *   connections, ÷ all of them (what bench/run.ts's `connect` reports);
 * - marginal: RSS growth over the last `--clients` only, after `--warmup` connections:
 *   what one more connection costs once the server's heap has grown to its working size
 *   (V8 enlarges its young generation during the first burst of connections, to 2 × 16
 *   MiB on a host with 4 GiB or more; charged to the connections, that fixed cost reads
 *   as ~0.8 KiB each at 12,000 clients).
 *
 * With `--rest S`, each reading of a Node.js server waits (at most S seconds) for the
 * server to be at rest: V8's memory reducer runs full collections some time after
 * allocation stops (10–70 s after a burst of registrations on this machine), giving back
 * the young generation's grown pages and the garbage the registrations left. RSS is
 * polled every 0.5 s; at rest = fallen at least 3 % below its highest value since the
 * reading began, then steady within 0.5 % for 3 s. A reading that never falls is taken
 * at S (said in the run's line). ngircd has no collector and is read after `--settle`.
 *
 * Each server is pinned to CPU 1, this generator to CPU 0; the three take turns in a
 * rotating order per run, so a slow drift in the machine's state hits all of them.
 * `--node-args` passes options to both Node.js servers (e.g. V8's `--max-semi-space-size=1`).
 *
 *   node --import tsx bench/idle-floor.ts [--clients 10000] [--warmup 2000] [--runs 3] [--settle 2] [--rest 0] [--node-args=...] [--ours-dist DIR] [--no-build]
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchClient } from "./lib/client.js";
import { Hub } from "./lib/load-client.js";
import { firstErrors, onlyClients, openEach, waitQuiet } from "./lib/scenarios.js";
import { pinSelf, raiseOpenFileLimit, rssKiB } from "./lib/proc.js";
import { freePort, launch, makeBaseDir, REPO_ROOT, startNgircd, startOurs, type ServerHandle } from "./lib/servers.js";
import { median } from "./lib/median.js";

const usage = `usage: node --import tsx bench/idle-floor.ts [options]
  --clients N      idle registered clients measured per run       (10000)
  --warmup N       clients connected before the marginal reading  (2000)
  --runs N         runs; each starts every server afresh         (3)
  --concurrency N  registrations in flight at once               (50)
  --settle S       seconds idle before RSS is read               (2)
  --rest S         Node.js servers: then wait up to S more seconds for V8's collection
                   (RSS fallen 3 % and steady for 3 s) before each reading; 0 = off (0)
  --node-args=A    options for node itself, both Node.js servers, e.g. --node-args=--max-semi-space-size=2 (the = is needed)
  --ours-dist DIR  run our server from this build directory instead of dist/
  --no-build       use dist/ as it is (default: tsc -p tsconfig.build.json first)
`;

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "10000" },
    warmup: { type: "string", default: "2000" },
    "node-args": { type: "string", default: "" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    settle: { type: "string", default: "2" },
    rest: { type: "string", default: "0" },
    "ours-dist": { type: "string" },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function count(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`--${name} must be an integer of at least ${min}\n\n${usage}`);
    process.exit(2);
  }
  return value;
}

const clients = count("clients", values.clients, 1);
const warmup = count("warmup", values.warmup, 0);
const nodeArgs = values["node-args"].split(" ").filter((arg) => arg !== "");
const runs = count("runs", values.runs, 1);
const concurrency = count("concurrency", values.concurrency, 1);
const settleSeconds = count("settle", values.settle, 0);
const restSeconds = count("rest", values.rest, 0);
const say = (line: string): void => void process.stderr.write(`${line}\n`);

const TARGETS = ["ours", "bare node:net", "ngircd"] as const;
type TargetName = (typeof TARGETS)[number];
const BARE_SERVER = join(REPO_ROOT, "bench", "lib", "bare-socket-server.mjs");

raiseOpenFileLimit(2 * (clients + warmup) + 512);
if (!pinSelf(0)) say("warning: could not pin the generator to CPU 0 (taskset)");
if (!values["no-build"] && values["ours-dist"] === undefined) {
  say("building (tsc -p tsconfig.build.json) ...");
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
}

const baseDir = makeBaseDir();
const options = { cpu: 1, baseDir };

async function start(name: TargetName): Promise<ServerHandle> {
  switch (name) {
    case "ours":
      return startOurs({ ...options, history: true, nodeArgs, ...(values["ours-dist"] !== undefined && { entry: join(resolve(values["ours-dist"]), "cli", "main.js") }) });
    case "bare node:net": {
      const port = await freePort();
      const dir = join(baseDir, `bare-${port}`);
      mkdirSync(dir);
      return launch("bare node:net", process.execPath, [...nodeArgs, BARE_SERVER, String(port)], port, dir, options.cpu);
    }
    case "ngircd":
      return startNgircd(options);
  }
}

/** KiB resident in the process's malloc heap (`[heap]` of /proc/PID/smaps): native memory, not V8's. */
function mallocHeapKiB(pid: number): number {
  let kib = 0;
  let inHeap = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith("[heap]");
    else if (inHeap && line.startsWith("Rss:")) kib += Number(line.split(/\s+/)[1]);
  }
  return kib;
}

interface Reading {
  /** KiB per connection from the fresh server to the last connection. */
  readonly fromStart: number;
  /** KiB per connection over the measured clients only, after the warm-up. */
  readonly marginal: number;
  /** Of the marginal figure, KiB per connection in the main malloc heap (`[heap]`: a lower bound of native memory). */
  readonly mallocMarginal: number;
  readonly rssMiB: { readonly fresh: number; readonly warm: number; readonly end: number };
  /** With --rest: seconds each reading waited, and whether it found the server at rest. */
  readonly rest: ReadonlyArray<{ readonly seconds: number; readonly atRest: boolean }>;
  /** Registrations refused or timed out (left out of the divisors). */
  readonly failed: number;
}

const REST_POLL_MS = 500;
const REST_FALL = 0.03;
const REST_STEADY = 0.005;
const REST_STEADY_POLLS = 6;

/**
 * RSS (KiB) once the server is at rest (see the top of this file), and the seconds that
 * took; `atRest` false when it did not fall within `--rest` (or the wait is off).
 */
async function restingRss(server: ServerHandle): Promise<{ kib: number; seconds: number; atRest: boolean }> {
  const rss = (): number => rssKiB(server.pid) ?? Number.NaN;
  const started = Date.now();
  if (restSeconds === 0 || server.name === "ngircd") return { kib: rss(), seconds: 0, atRest: false };
  const samples = [rss()];
  let highest = samples[0]!;
  while (Date.now() - started < restSeconds * 1000) {
    await sleep(REST_POLL_MS);
    const now = rss();
    samples.push(now);
    const recent = samples.slice(-REST_STEADY_POLLS);
    const fallen = Math.max(...recent) <= highest * (1 - REST_FALL);
    const steady = recent.length === REST_STEADY_POLLS && Math.max(...recent) - Math.min(...recent) <= Math.max(...recent) * REST_STEADY;
    if (fallen && steady) return { kib: now, seconds: (Date.now() - started) / 1000, atRest: true };
    // The highest before the fall: a value of the steady tail must not become it.
    if (!fallen) highest = Math.max(highest, now);
  }
  return { kib: rss(), seconds: (Date.now() - started) / 1000, atRest: false };
}

/** Connects `count` more idle clients (NICK/USER) and waits until the server is quiet; returns how many registered. */
async function openIdle(server: ServerHandle, hub: Hub, held: BenchClient[], count: number, prefix: string): Promise<number> {
  const deadline = Date.now() + 180_000;
  const opened = await openEach(count, concurrency, deadline, (index, timeoutMs) =>
    BenchClient.open({ host: server.host, port: server.port, index, nick: `${prefix}${index}`, hub, timeoutMs }),
  );
  const ok = onlyClients(opened);
  held.push(...ok);
  if (ok.length < opened.length) say(`  ${server.name}: ${opened.length - ok.length} registrations failed: ${firstErrors(opened).join("; ")}`);
  await waitQuiet(hub, 1000, 20_000);
  await sleep(settleSeconds * 1000);
  return ok.length;
}

async function measure(server: ServerHandle): Promise<Reading> {
  const hub = new Hub();
  const held: BenchClient[] = [];
  const rest: Array<{ seconds: number; atRest: boolean }> = [];
  const reading = async (): Promise<number> => {
    const { kib, ...waited } = await restingRss(server);
    rest.push(waited);
    return kib;
  };
  try {
    const fresh = await reading();
    const warmed = await openIdle(server, hub, held, warmup, "w");
    const warm = await reading();
    const mallocWarm = mallocHeapKiB(server.pid);
    const measured = await openIdle(server, hub, held, clients, "c");
    const end = await reading();
    const mallocEnd = mallocHeapKiB(server.pid);
    const open = held.filter((client) => !client.closed).length;
    // Clients dropped before the last reading hold nothing: only those still open are divided by.
    const measuredOpen = held.slice(warmed).filter((client) => !client.closed).length;
    if (open !== held.length) say(`  ${server.name}: ${held.length - open} clients were disconnected before the last reading`);
    return {
      fromStart: (end - fresh) / Math.max(1, open),
      marginal: (end - warm) / Math.max(1, measuredOpen),
      mallocMarginal: (mallocEnd - mallocWarm) / Math.max(1, measuredOpen),
      rssMiB: { fresh: fresh / 1024, warm: warm / 1024, end: end / 1024 },
      rest,
      failed: warmup + clients - warmed - measured,
    };
  } finally {
    for (const client of held) client.destroy();
    await sleep(50);
  }
}

const readings = new Map<TargetName, Reading[]>(TARGETS.map((t) => [t, []]));
const rows: Array<{ run: number; target: TargetName } & Reading> = [];
const resultsDir = join(REPO_ROOT, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
const resultsFile = join(resultsDir, `idle-floor-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
/** Written after every reading, so a server that fails to start keeps what was measured before it. */
const saveRows = (): void => writeFileSync(resultsFile, `${JSON.stringify({ clients, warmup, runs, settleSeconds, restSeconds, nodeArgs, rows }, null, 2)}\n`);
try {
  for (let run = 0; run < runs; run++) {
    const order = TARGETS.map((_, i) => TARGETS[(i + run) % TARGETS.length]!);
    for (const name of order) {
      const server = await start(name);
      try {
        await sleep(300);
        const reading = await measure(server);
        readings.get(name)!.push(reading);
        rows.push({ run: run + 1, target: name, ...reading });
        saveRows();
        const { fresh, warm, end } = reading.rssMiB;
        const waits = restSeconds > 0 && name !== "ngircd" ? `; at rest after ${reading.rest.map((w) => (w.atRest ? `${w.seconds.toFixed(1)} s` : `no fall in ${w.seconds.toFixed(0)} s`)).join(", ")}` : "";
        say(`[run ${run + 1}/${runs}] ${name}: RSS ${fresh.toFixed(1)} → ${warm.toFixed(1)} (warm-up) → ${end.toFixed(1)} MiB; ${reading.fromStart.toFixed(2)} KiB per connection from the start, ${reading.marginal.toFixed(2)} marginal (${reading.mallocMarginal.toFixed(2)} of it in the malloc heap); ${reading.failed} failed${waits}`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  rmSync(baseDir, { recursive: true, force: true });
}

type Figure = "fromStart" | "marginal" | "mallocMarginal";
const column = (target: TargetName, key: Figure): number[] => readings.get(target)!.map((r) => r[key]);
const floorMarginal = median(column("bare node:net", "marginal"));
const lines = [
  `RSS per idle registered connection (KiB): ${warmup} warm-up + ${clients} measured clients, ${runs} run(s), servers on CPU 1, generator on CPU 0, read ${settleSeconds} s after the last registration${restSeconds > 0 ? ` and, Node.js servers, at rest (at most ${restSeconds} s more)` : ""}${nodeArgs.length > 0 ? `, node ${nodeArgs.join(" ")}` : ""}`,
  "| server | from the start, each run | median | marginal, each run | median | of it in the malloc heap, median | marginal ÷ bare node:net | registrations failed, each run |",
  "|---|---|---:|---|---:|---:|---:|---|",
  ...TARGETS.map((t) => {
    const cells = (key: Figure): string => `${column(t, key).map((x) => x.toFixed(2)).join(", ")} | ${median(column(t, key)).toFixed(2)}`;
    return `| ${t} | ${cells("fromStart")} | ${cells("marginal")} | ${median(column(t, "mallocMarginal")).toFixed(2)} | ${(median(column(t, "marginal")) / floorMarginal).toFixed(2)} | ${readings.get(t)!.map((r) => r.failed).join(", ")} |`;
  }),
];
process.stdout.write(`${lines.join("\n")}\n`);
say(`results written to ${resultsFile}`);
