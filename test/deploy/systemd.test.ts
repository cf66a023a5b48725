/**
 * deploy/cmymessage.service: checked by systemd itself (`systemd-analyze verify` and the
 * offline `systemd-analyze security` score, from Debian's systemd package), read against the
 * server (names, ports without capabilities, the stop timeout), and the two signals it
 * relies on sent to a real `cmymessage serve`: SIGHUP reloads, SIGTERM stops cleanly in time.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig, validateConfig } from "../../src/config/load.js";
import { DEPLOY_DIR, KNOWN_ENVIRONMENT, REPO_ROOT, listenedPorts, mentionedEnvironmentNames, readDeployText, requireTool } from "../support/deploy-files.js";
import { waitFor } from "../support/wait.js";
import { cliCommand } from "../support/cli-command.js";

type Unit = Map<string, Map<string, string[]>>;

/** Sections → key → every value the key is given (systemd keys may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq <= 0) throw new Error(`unit: cannot read "${line}"`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

/** Seconds of a systemd time span such as "15s", "1min 30s" or "90". */
function timeSpanSeconds(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/(\d+)\s*(ms|s|min|m|h)?/g)) {
    const n = Number(match[1]);
    total += match[2] === "ms" ? n / 1000 : match[2] === "min" || match[2] === "m" ? n * 60 : match[2] === "h" ? n * 3600 : n;
  }
  return total;
}

describe("deploy/cmymessage.service", () => {
  let text: string;
  let service: Map<string, string[]>;
  const one = (key: string): string => {
    const values = service.get(key);
    assert.ok(values && values.length === 1, `${key}= should be set once (${values?.length ?? 0})`);
    return values[0]!;
  };
  let env: Record<string, string>;
  before(async () => {
    text = await readDeployText("cmymessage.service");
    service = parseUnit(text).get("Service")!;
    env = Object.fromEntries((service.get("Environment") ?? []).map((assignment) => {
      const eq = assignment.indexOf("=");
      return [assignment.slice(0, eq), assignment.slice(eq + 1)];
    }));
  });

  test("starts the built server from /opt/cmymessage, reloads with SIGHUP, restarts on failure but not on a config error", async () => {
    const [program, script, command] = one("ExecStart").split(/\s+/);
    assert.equal(program, "/usr/bin/node");
    assert.match(script!, /^\/opt\/cmymessage\/dist\/cli\/main\.js$/);
    await access(join(REPO_ROOT, "src/cli/main.ts"));
    assert.equal(command, "serve");
    assert.equal(one("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert.equal(one("Restart"), "on-failure");
    assert.equal(one("RestartPreventExitStatus"), "2");
  });

  test("state in its StateDirectory, settings from an optional environment file, every CMY_* name real", () => {
    assert.equal(one("StateDirectory"), "cmymessage");
    // Private to the service: with any group or other bit the server warns at every start, and the operator cannot clear it.
    assert.equal(one("StateDirectoryMode"), "0700");
    assert.equal(env["CMY_DATA_DIR"], "/var/lib/cmymessage");
    assert.equal(one("EnvironmentFile"), "-/etc/cmymessage/env");
    for (const name of mentionedEnvironmentNames(text)) assert.ok(KNOWN_ENVIRONMENT.has(name), `${name} is not read by the server`);
  });

  test("sandboxed, with no capability: every default listener is above 1023", async () => {
    for (const [key, value] of [
      ["CapabilityBoundingSet", ""],
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["ProtectKernelTunables", "yes"],
      ["ProtectKernelModules", "yes"],
      ["ProtectKernelLogs", "yes"],
      ["ProtectControlGroups", "yes"],
      ["RestrictNamespaces", "yes"],
      ["LockPersonality", "yes"],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
    ] as const) {
      assert.equal(one(key), value, key);
    }
    assert.ok(service.get("SystemCallFilter")!.includes("@system-service"));
    assert.ok(!service.has("MemoryDenyWriteExecute"), "V8's JIT needs writable executable memory");
    assert.ok(service.has("DynamicUser") || service.has("User"));
    const config = await loadConfig(undefined, env);
    for (const port of listenedPorts(config)) assert.ok(port >= 1024, `port ${port} needs CAP_NET_BIND_SERVICE`);
  });

  test("TimeoutStopSec leaves room for server.shutdownTimeoutSeconds", () => {
    const shutdown = validateConfig({}, "defaults").server.shutdownTimeoutSeconds;
    const stop = timeSpanSeconds(one("TimeoutStopSec"));
    assert.ok(stop > shutdown, `TimeoutStopSec ${stop} s is not above the ${shutdown} s the server may take`);
    assert.ok(stop <= 90, "not longer than systemd's default");
  });

  describe("checked by systemd", () => {
    let dir: string;
    let copy: string;
    before(async () => {
      // The unit is verified in isolation: a copy in a temporary directory, so no unit installed
      // on this machine takes part. verify checks that ExecStart's program exists; that is the
      // one host-specific path (/usr/bin/node, Debian's and NodeSource's place), so where Node
      // lives elsewhere the copy names the Node running this test instead.
      dir = await mkdtemp(join(tmpdir(), "cmy-unit-"));
      copy = join(dir, "cmymessage.service");
      let unit = await readDeployText("cmymessage.service");
      const nodeAtUsrBin = await access("/usr/bin/node").then(() => true, () => false);
      if (!nodeAtUsrBin) unit = unit.replace("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `);
      await writeFile(copy, unit);
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test("systemd-analyze verify finds nothing to say", async (t) => {
      const run = await requireTool(t, "systemd-analyze", ["verify", "--man=no", copy], "Debian package systemd");
      if (!run) return;
      assert.equal(run.code, 0, run.stderr);
      // verify exits 0 on an unknown key or a bad value, but says so: any line about the unit is a fault.
      const about = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l.includes("cmymessage.service"));
      assert.deepEqual(about, []);
    });

    test("systemd-analyze security rates its exposure 2.0 or lower (OK)", async (t) => {
      const run = await requireTool(t, "systemd-analyze", ["security", "--offline=true", "--threshold=20", "--no-pager", copy], "Debian package systemd");
      if (!run) return;
      const verdict = /Overall exposure level for cmymessage\.service: ([\d.]+)/.exec(run.stdout);
      assert.ok(verdict, run.stdout.slice(-500) + run.stderr);
      assert.equal(run.code, 0, `exposure ${verdict[1]} is above 2.0`);
    });

    test("the copy differs from deploy/ at most in the Node path", async () => {
      const original = await readFile(join(DEPLOY_DIR, "cmymessage.service"), "utf8");
      const checked = await readFile(copy, "utf8");
      assert.equal(checked.replace(/^ExecStart=\S+ /m, "ExecStart=NODE "), original.replace(/^ExecStart=\S+ /m, "ExecStart=NODE "));
    });
  });

  describe("the signals the unit sends, to a real `cmymessage serve`", () => {
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "cmy-unit-serve-"));
    });
    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    /** `serve` (the build when current: cli-command.ts), on loopback port 0, logging JSON lines we can wait for. */
    function serve(extra: Record<string, string> = {}) {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CMY_")));
      const child = spawn(process.execPath, [...cliCommand().args, "serve"], {
        cwd: REPO_ROOT,
        env: { ...clean, CMY_DATA_DIR: dataDir, CMY_IRC_LISTEN: "127.0.0.1:0", CMY_IRC_TLS_LISTEN: "", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "", CMY_LOG_FORMAT: "json", ...extra },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
      return { child, exited, output: () => output };
    }

    test("SIGHUP (ExecReload) reloads the configuration; SIGTERM stops with exit 0 within TimeoutStopSec", async (t) => {
      const shutdown = validateConfig({}, "defaults").server.shutdownTimeoutSeconds;
      const stopSeconds = timeSpanSeconds(one("TimeoutStopSec"));
      const server = serve();
      t.after(() => {
        if (server.child.exitCode === null) server.child.kill("SIGKILL");
      });
      await waitFor(() => server.output().includes("CmyMessage is running"), { timeoutMs: 30_000, what: "the server to start" });
      server.child.kill("SIGHUP");
      await waitFor(() => server.output().includes("SIGHUP: configuration reloaded"), { timeoutMs: 10_000, what: "the reload" });
      const started = Date.now();
      server.child.kill("SIGTERM");
      const code = await Promise.race([server.exited, new Promise<"late">((done) => setTimeout(() => done("late"), stopSeconds * 1000).unref())]);
      assert.equal(code, 0, server.output().slice(-1000));
      assert.ok((Date.now() - started) / 1000 <= Math.min(stopSeconds, shutdown + 5));
    });

    test("a configuration error exits with 2, the status the unit does not restart on", async () => {
      const server = serve({ CMY_LOG_LEVEL: "loud" });
      const code = await Promise.race([server.exited, new Promise<"late">((done) => setTimeout(() => done("late"), 30_000).unref())]);
      if (code === "late") server.child.kill("SIGKILL");
      assert.equal(code, 2, server.output());
      assert.match(server.output(), /log\.level/);
    });
  });
});
