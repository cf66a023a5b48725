/**
 * Settings an operator could get past `config check` (or a signal that got past serve)
 * and that broke the server later:
 * - a SIGHUP while the server is still starting (systemd's ExecReload right after a start)
 *   killed it: it is now applied as a reload once the server runs;
 * - the FTP passive range swapped, or only one of its ends set, and a PASV address that is no
 *   IPv4 address (256.1.1.1), are refused by name instead of handing out any port or a
 *   garbled 227 reply;
 * - two listeners on one port (the same address twice, or a wildcard and an address it
 *   covers) are refused by `config check` and serve alike, instead of serve exiting 1 on
 *   EADDRINUSE; what Linux lets both bind stays accepted, checked against real binds.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cliCommand, cliEnvironment, runCli } from "../support/cli-command.js";
import { REPO_ROOT } from "../support/deploy-files.js";
import { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";
import { ConfigError, validateConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { checkServingConfig } from "../../src/cluster/serving-checks.js";

const cli = runCli;
const environment = cliEnvironment;

/** Every door off but those `env` names: config check then judges only the setting under test. */
const DOORS_OFF = { CMY_IRC_LISTEN: "", CMY_IRC_TLS_LISTEN: "", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "" };

/** The error validateConfig + checkServingConfig give `input` (what config check and serve print), or null when both accept it. */
function refusal(input: ConfigInput): string | null {
  try {
    checkServingConfig(validateConfig(input, "test"));
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe("a SIGHUP while serve is starting", () => {
  test("does not kill it: it is applied as a reload (the file re-read) once the server runs", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "cmy-hup-start-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const configFile = join(dataDir, "cmymessage.yaml");
    await writeFile(configFile, JSON.stringify({ server: { motd: "Before the reload." } }));
    const child = spawn(process.execPath, [...cliCommand().args, "serve"], {
      cwd: REPO_ROOT,
      // The web door on too: a longer start (fastify), so the signal surely arrives before the server runs.
      env: environment({ CMY_CONFIG: configFile, CMY_DATA_DIR: dataDir, CMY_LOG_LEVEL: "info", CMY_LOG_FORMAT: "json", ...DOORS_OFF, CMY_IRC_LISTEN: "127.0.0.1:0", CMY_HTTP_LISTEN: "127.0.0.1:0" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let sentDuringStart = false;
    const exited = new Promise<void>((done) => child.on("exit", () => done()));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // At once, at the first line the start logs (the config file has been read; the database, IRC and the web door are still to come).
      if (!sentDuringStart && output.includes('"msg":') && !output.includes("CmyMessage is running")) {
        sentDuringStart = true;
        // The operator changed the file, then reloaded (systemctl reload right after start).
        writeFileSync(configFile, JSON.stringify({ server: { motd: "After the reload." } }));
        child.kill("SIGHUP");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    await waitFor(() => output.includes("SIGHUP: configuration reloaded") || child.exitCode !== null || child.signalCode !== null, {
      timeoutMs: 30_000,
      what: "the reload after the start",
    });
    assert.ok(sentDuringStart, `the SIGHUP should have been sent during the start:\n${output}`);
    assert.equal(child.signalCode, null, `serve was killed by ${child.signalCode}:\n${output}`);
    assert.equal(child.exitCode, null, `serve exited with ${child.exitCode}:\n${output}`);
    const messages = output.split("\n").filter((line) => line.includes('"msg":')).map((line) => (JSON.parse(line) as { msg: string }).msg);
    const running = messages.indexOf("CmyMessage is running");
    const reloaded = messages.indexOf("SIGHUP: configuration reloaded");
    assert.ok(running >= 0 && reloaded > running, `reloaded after the start: ${messages.join(" | ")}`);
    assert.equal(messages.filter((m) => m === "SIGHUP: configuration reloaded").length, 1);

    const port = (JSON.parse(output.split("\n").find((line) => line.includes('"IRC listening"'))!) as { port: number }).port;
    const client = await RawClient.register(port, "hupper");
    const motd = client.lines.filter((line) => / 372 /.test(line)).join("\n");
    client.socket.destroy();
    await client.closed;
    assert.match(motd, /After the reload\./, "the file as changed during the start is the one in force");

    child.kill("SIGTERM");
    await exited;
    assert.equal(child.exitCode, 0, output);
  });
});

describe("ftp passive settings", () => {
  test("a swapped range, one end alone, or a PASV address that is no IPv4 address are refused by name", () => {
    const swapped = refusal({ ftp: { passivePortMin: 41495, passivePortMax: 41490 } });
    assert.match(swapped ?? "", /ftp\.passivePortMin: .*41495.*passivePortMax.*41490/);
    const minAlone = refusal({ ftp: { passivePortMin: 41490 } });
    assert.match(minAlone ?? "", /ftp\.passivePortMax: .*both.*neither/);
    const maxAlone = refusal({ ftp: { passivePortMax: 41490 } });
    assert.match(maxAlone ?? "", /ftp\.passivePortMin: .*both.*neither/);
    for (const address of ["256.1.1.1", "999.300.1.1", "1.2.3", "01.2.3.4", "::1", "ftp.example.org"]) {
      assert.match(refusal({ ftp: { publicAddress: address } }) ?? "", /ftp\.publicAddress: an IPv4 address/, address);
    }
  });

  test("a range of one port or more, neither end (any free port) and a real IPv4 address are accepted", () => {
    assert.equal(refusal({ ftp: { passivePortMin: 41490, passivePortMax: 41495 } }), null);
    assert.equal(refusal({ ftp: { passivePortMin: 41490, passivePortMax: 41490 } }), null);
    assert.equal(refusal({ ftp: { passivePortMin: 0, passivePortMax: 0 } }), null);
    assert.equal(refusal({ ftp: { publicAddress: "203.0.113.7" } }), null);
    assert.equal(refusal({ ftp: { publicAddress: "255.255.255.255" } }), null);
    assert.equal(refusal({ ftp: { publicAddress: "" } }), null);
  });

  test("config check: CMY_FTP_PASSIVE_PORT_MIN alone, and CMY_FTP_PUBLIC_ADDRESS=256.1.1.1, exit 2 naming the key", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "cmy-ftp-check-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "empty.yaml");
    await writeFile(file, "{}\n");
    const alone = await cli(["config", "check", file], { ...DOORS_OFF, CMY_FTP_LISTEN: "127.0.0.1:0", CMY_FTP_PASSIVE_PORT_MIN: "41490" });
    assert.equal(alone.code, 2, alone.stdout + alone.stderr);
    assert.match(alone.stderr, /ftp\.passivePortMax: .*CMY_FTP_PASSIVE_PORT_MIN/);
    const address = await cli(["config", "check", file], { ...DOORS_OFF, CMY_FTP_LISTEN: "127.0.0.1:0", CMY_FTP_PUBLIC_ADDRESS: "256.1.1.1" });
    assert.equal(address.code, 2, address.stdout + address.stderr);
    assert.match(address.stderr, /ftp\.publicAddress: an IPv4 address/);
  });
});

/** Binds `first` then `second` on one port as the server's listeners do; whether both bound. */
async function bothBind(first: string, second: string, port: number): Promise<boolean> {
  const listen = (host: string): Promise<net.Server | null> =>
    new Promise((done) => {
      const server = net.createServer();
      server.once("error", () => done(null));
      server.listen({ host, port, ipv6Only: false, backlog: 4 }, () => done(server));
    });
  const a = await listen(first);
  if (!a) throw new Error(`${first}:${port} cannot be bound at all`);
  const b = await listen(second);
  await new Promise((done) => a.close(done));
  if (b) await new Promise((done) => b.close(done));
  return b !== null;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once("error", fail);
    server.listen({ host: "::", port: 0, ipv6Only: false }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

const bracketed = (host: string): string => (host.includes(":") ? `[${host}]` : host);

describe("listeners on one port", () => {
  let ipv6 = false;
  before(async () => {
    ipv6 = await new Promise((done) => {
      const server = net.createServer();
      server.once("error", () => done(false));
      server.listen({ host: "::1", port: 0 }, () => server.close(() => done(true)));
    });
  });

  test("the same address twice, on one key or two, is refused naming both keys", () => {
    const twice = refusal({ irc: { listen: ["127.0.0.1:41480", "127.0.0.1:41480"], tlsListen: [] }, ftp: { listen: [] }, http: { listen: [] } });
    assert.match(twice ?? "", /irc\.listen \(CMY_IRC_LISTEN\) 127\.0\.0\.1:41480 and irc\.listen \(CMY_IRC_LISTEN\) 127\.0\.0\.1:41480/);
    const ircAndHttp = refusal({ irc: { listen: ["127.0.0.1:41480"], tlsListen: [] }, ftp: { listen: [] }, http: { listen: ["127.0.0.1:41480"] } });
    assert.match(ircAndHttp ?? "", /irc\.listen \(CMY_IRC_LISTEN\) 127\.0\.0\.1:41480 and http\.listen \(CMY_HTTP_LISTEN\) 127\.0\.0\.1:41480/);
    assert.match(ircAndHttp ?? "", /EADDRINUSE/);
    const metrics = refusal({ irc: { listen: [], tlsListen: [] }, ftp: { listen: ["[::1]:9464"] }, http: { listen: [] }, metrics: { listen: ["[0:0::1]:9464"] } });
    assert.match(metrics ?? "", /ftp\.listen \(CMY_FTP_LISTEN\) \[::1\]:9464 and metrics\.listen \(CMY_METRICS_LISTEN\) \[0:0::1\]:9464/);
    const tls = refusal({ irc: { listen: ["localhost:6667"], tlsListen: ["LOCALHOST:6667"] }, ftp: { listen: [] }, http: { listen: [] } });
    assert.match(tls ?? "", /irc\.tlsListen \(CMY_IRC_TLS_LISTEN\) LOCALHOST:6667/);
  });

  test("the defaults, distinct ports, port 0 twice, and metrics listeners while metrics are off are accepted", () => {
    assert.equal(refusal({}), null);
    assert.equal(refusal({ irc: { listen: ["127.0.0.1:0", "127.0.0.1:0"], tlsListen: ["127.0.0.1:0"] }, ftp: { listen: ["127.0.0.1:0"] }, http: { listen: ["127.0.0.1:0"] } }), null);
    assert.equal(refusal({ http: { listen: ["127.0.0.1:9464"] }, metrics: { enabled: false, listen: ["127.0.0.1:9464"] } }), null);
  });

  // Each pair: [first, second, refused]. The verdicts are checked against the kernel below.
  const pairs: ReadonlyArray<readonly [string, string, boolean]> = [
    ["127.0.0.1", "127.0.0.1", true],
    ["0.0.0.0", "127.0.0.1", true],
    ["127.0.0.1", "0.0.0.0", true],
    ["::", "0.0.0.0", true],
    ["0.0.0.0", "::", true],
    ["::", "127.0.0.1", true],
    ["::", "::1", true],
    ["::", "::", true],
    ["::ffff:127.0.0.1", "127.0.0.1", true],
    ["0.0.0.0", "::ffff:127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["::1", "127.0.0.1", false],
    ["0.0.0.0", "::1", false],
    ["::1", "0.0.0.0", false],
  ];

  test("a wildcard and an address it covers are refused; addresses Linux binds side by side are not", () => {
    for (const [first, second, refused] of pairs) {
      const verdict = refusal({ irc: { listen: [`${bracketed(first)}:41480`], tlsListen: [] }, ftp: { listen: [] }, http: { listen: [`${bracketed(second)}:41480`] } });
      assert.equal(verdict !== null, refused, `${first} and ${second}: ${verdict}`);
    }
  });

  test("the verdicts are what the kernel does", { skip: process.platform !== "linux" && "Linux's rules" }, async () => {
    for (const [first, second, refused] of pairs) {
      if (!ipv6 && (first.includes(":") || second.includes(":"))) continue;
      const port = await freePort();
      assert.equal(!(await bothBind(first, second, port)), refused, `${first}:${port} then ${second}:${port}`);
    }
  });

  test("config check and serve refuse CMY_IRC_LISTEN=127.0.0.1:P,127.0.0.1:P with the same words and exit 2, making nothing", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "cmy-listen-check-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "empty.yaml");
    await writeFile(file, "{}\n");
    const data = join(dir, "data");
    const port = await freePort();
    const env = { ...DOORS_OFF, CMY_DATA_DIR: data, CMY_IRC_LISTEN: `127.0.0.1:${port},127.0.0.1:${port}` };
    const check = await cli(["config", "check", file], env);
    assert.equal(check.code, 2, check.stdout + check.stderr);
    assert.match(check.stderr, new RegExp(`irc\\.listen \\(CMY_IRC_LISTEN\\) 127\\.0\\.0\\.1:${port} and irc\\.listen \\(CMY_IRC_LISTEN\\) 127\\.0\\.0\\.1:${port}`));
    const serve = await cli(["serve", "--config", file], env);
    assert.equal(serve.code, 2, serve.stderr);
    assert.equal(serve.stderr, check.stderr, "the same words from both");
    await assert.rejects(stat(data), { code: "ENOENT" }, "nothing was made");

    const ircAndHttp = await cli(["config", "check", file], { ...DOORS_OFF, CMY_IRC_LISTEN: `0.0.0.0:${port}`, CMY_HTTP_LISTEN: `127.0.0.1:${port}` });
    assert.equal(ircAndHttp.code, 2, ircAndHttp.stdout + ircAndHttp.stderr);
    assert.match(ircAndHttp.stderr, /irc\.listen .* and http\.listen /);
  });
});
