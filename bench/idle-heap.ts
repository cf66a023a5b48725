/**
 * What one idle registered IRC connection costs our server in heap, and what holds it.
 * One server (our dist/, the bench configuration of lib/servers.ts) gets `--warmup`
 * clients first (so code compiled and tables grown on the first connections are not
 * charged to the measured ones), a heap snapshot, then `--clients` more, and a second
 * snapshot. The difference divided by `--clients` is the heap per connection, shown
 * by object type and constructor, or with `--retainers D` by what holds each object
 * up to D levels (the way to find which closure, Set or array belongs to whom).
 *
 *   node --import tsx bench/idle-heap.ts [--clients 2000] [--warmup 200] [--retainers 0] …
 *
 * The clients register with NICK/USER only: no CAP, no channels, like the `connect`
 * scenario of bench/run.ts, which measures RSS with 10,000 of them.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchClient } from "./lib/client.js";
import { diffSummaries, summariseSnapshot } from "./lib/heap-snapshot.js";
import { Hub } from "./lib/load-client.js";
import { raiseOpenFileLimit } from "./lib/proc.js";
import { makeBaseDir, REPO_ROOT, startOurs, type ServerHandle } from "./lib/servers.js";

const usage = `usage: node --import tsx bench/idle-heap.ts [options]
  --clients N      idle registered clients measured                      (2000)
  --warmup N       clients connected before the first snapshot           (200)
  --concurrency N  registrations in flight at once                       (50)
  --retainers D    group objects by D levels of retainers as well (0-4)  (0)
  --top N          rows shown                                            (40)
  --min-bytes B    leave out groups under B bytes per connection         (8)
  --ours-dist DIR  run our server from this build directory instead of dist/
  --keep           keep the snapshots (their paths are printed)
  --no-build       use dist/ as it is (default: tsc -p tsconfig.build.json first)
`;

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "2000" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "50" },
    retainers: { type: "string", default: "0" },
    top: { type: "string", default: "40" },
    "min-bytes": { type: "string", default: "8" },
    "ours-dist": { type: "string" },
    keep: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function count(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name} must be an integer from ${min} to ${max}\n\n${usage}`);
    process.exit(2);
  }
  return value;
}

const clients = count("clients", values.clients, 1);
const warmup = count("warmup", values.warmup, 1);
const concurrency = count("concurrency", values.concurrency, 1);
const depth = count("retainers", values.retainers, 0, 4);
const top = count("top", values.top, 1);
const minBytes = count("min-bytes", values["min-bytes"], 0);
const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** How long to wait for a registration, and for the server to write a snapshot (it stops for that). */
const TIMEOUT_MS = 120_000;
/** Quiet time before a snapshot: replies flushed, the last registrations' follow-ups done. */
const SETTLE_MS = 2000;

raiseOpenFileLimit(2 * (clients + warmup) + 512);
if (!values["no-build"] && values["ours-dist"] === undefined) {
  say("building (tsc -p tsconfig.build.json) ...");
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
}

const baseDir = makeBaseDir();
const server = await startOurs({
  cpu: null,
  baseDir,
  history: true,
  nodeArgs: ["--heapsnapshot-signal=SIGUSR2"],
  ...(values["ours-dist"] !== undefined && { entry: join(resolve(values["ours-dist"]), "cli", "main.js") }),
});
const hub = new Hub();
const open: BenchClient[] = [];

/** Opens `n` more registered clients, `concurrency` at a time. */
async function openClients(n: number): Promise<void> {
  let next = open.length;
  const end = next + n;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const index = next++;
      open.push(await BenchClient.open({ host: server.host, port: server.port, index, nick: `idle${index}`, hub, timeoutMs: TIMEOUT_MS }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/**
 * Has the server write a heap snapshot and returns its path. The server writes it on
 * its main thread: once the file is there, a PONG means it is complete.
 */
async function snapshot(target: ServerHandle, probe: BenchClient, token: string): Promise<string> {
  const existing = new Set(readdirSync(target.dir));
  process.kill(target.pid, "SIGUSR2");
  const deadline = Date.now() + TIMEOUT_MS;
  let file: string | undefined;
  while ((file = readdirSync(target.dir).find((name) => name.endsWith(".heapsnapshot") && !existing.has(name))) === undefined) {
    if (Date.now() > deadline) throw new Error("the server wrote no heap snapshot");
    await sleep(100);
  }
  probe.send(`PING :${token}\r\n`);
  await probe.waitFor((line) => line.includes("PONG") && line.endsWith(token), TIMEOUT_MS, "PONG after the snapshot");
  return join(target.dir, file);
}

try {
  say(`idle-heap: ${warmup} warm-up clients, then ${clients} measured (NICK/USER only)`);
  await openClients(warmup);
  await sleep(SETTLE_MS);
  const before = await snapshot(server, open[0]!, "before");
  await openClients(clients);
  await sleep(SETTLE_MS);
  const after = await snapshot(server, open[0]!, "after");
  if (hub.closes > 0) throw new Error(`${hub.closes} clients were closed by the server`);
  say("reading the snapshots ...");
  const { bytesPerUnit, groups } = diffSummaries(summariseSnapshot(before, depth), summariseSnapshot(after, depth), clients, minBytes);
  // RSS is the connect scenario's (bench/run.ts): a snapshot itself grows the RSS by far more than the clients.
  console.log(`heap per idle registered connection: ${bytesPerUnit.toFixed(0)} B`);
  console.log("objects per connection   bytes  group");
  for (const group of groups.slice(0, top)) console.log(`${group.count.toFixed(2).padStart(22)} ${group.bytes.toFixed(0).padStart(7)}  ${group.key}`);
  if (values.keep) console.log(`snapshots: ${before} ${after}`);
} finally {
  for (const client of open) client.destroy();
  await server.stop();
  if (!values.keep) rmSync(baseDir, { recursive: true, force: true });
}
