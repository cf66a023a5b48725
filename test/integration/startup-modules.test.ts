/**
 * Start-up time is mostly module loading, so the server loads what a start does not
 * need only when it needs it. Checked in a fresh process (this one has loaded
 * everything already): which optional packages are in the module cache after a start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadTlsMaterial } from "../../src/net/tls-certificate.js";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Run in the child: starts the server three times on `dataDir` (which already holds a
 * certificate) and prints which packages were loaded after each step. ESM imports of
 * these CommonJS packages go through the CommonJS loader, so require.cache shows them.
 */
const CHILD = `
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { pino } from "pino";
import { validateConfig } from "./src/config/load.ts";
import { createLogger } from "./src/log.ts";
import { startServer } from "./src/server.ts";
const watched = ["@peculiar/x509", "reflect-metadata", "pino-pretty", "pg", "yaml", "fastify", "ws"];
const loaded = () => {
  const files = Object.keys(createRequire(import.meta.url).cache);
  return watched.filter((name) => files.some((file) => file.includes("/node_modules/" + name + "/")));
};
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
const base = { dataDir: process.env.DATA_DIR, irc: { listen: ["127.0.0.1:0"], tlsListen: ["127.0.0.1:0"] }, ftp: { listen: [] }, log: { level: "silent", format: "json" } };
const start = async (tree) => {
  const config = validateConfig(tree, "test");
  const server = await startServer(config, { log: createLogger(config.log, sink), reload: async () => config });
  await server.stop();
};
const steps = {};
createLogger({ level: "info", format: "auto" }, sink);
steps.jsonLogger = loaded();
await start({ ...base, http: { listen: [] } });
steps.ircWithCertificate = loaded();
await start({ ...base, http: { listen: ["127.0.0.1:0"] } });
steps.withHttp = loaded();
createLogger({ level: "info", format: "pretty" }, sink);
steps.prettyLogger = loaded();
process.stdout.write(JSON.stringify(steps));
`;

test("a start with a certificate on disk, JSON logs, SQLite and no web door loads neither the certificate maker, pino-pretty, pg, yaml, fastify nor ws", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-startup-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const made = await loadTlsMaterial({ certFile: "", keyFile: "", dataDir, serverName: "startup.test" });
  assert.equal(made.generated, true);

  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const key of Object.keys(env)) if (key.startsWith("CMY_")) delete env[key];
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { cwd: REPO, env, timeout: 60_000 });
  const steps = JSON.parse(stdout) as Record<string, string[]>;

  assert.deepEqual(steps["jsonLogger"], [], "a JSON logger needs no pretty-printer");
  assert.deepEqual(steps["ircWithCertificate"], [], "an existing certificate is read, not made; SQLite needs no pg; no config file, no yaml; no web door, no fastify and no ws");
  // The controls: the same probe sees each package once something needs it.
  assert.ok(steps["withHttp"]!.includes("fastify"), `with the web door: ${steps["withHttp"]!.join(", ")}`);
  assert.ok(steps["withHttp"]!.includes("ws"), `with the web door, IRC over WebSocket: ${steps["withHttp"]!.join(", ")}`);
  assert.ok(steps["prettyLogger"]!.includes("pino-pretty"), `with readable logs: ${steps["prettyLogger"]!.join(", ")}`);
});
