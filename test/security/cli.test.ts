/**
 * The command line refuses what it does not understand, loudly and with the right
 * exit code. Run as a child process with an argument array (no shell involved).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliCommand } from "../support/cli-command.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...cliCommand().args, ...args],
      // Bounded: a CLI that starts serving instead of failing is killed and reported.
      { cwd: root, timeout: 20_000, killSignal: "SIGKILL", env: { ...process.env, CMY_CONFIG: "", ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        done({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
      },
    );
  });
}

test("serve --bogus exits with code 2 and names the unknown option", async () => {
  const run = await cli(["serve", "--bogus"]);
  assert.equal(run.signal, null, `killed instead of exiting: ${run.stderr}`);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--bogus/);
  assert.doesNotMatch(run.stderr, /^\s+at /m, "a usage error, not a stack trace");
});

test("an unknown command and a stray positional argument also exit with code 2", async () => {
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /frobnicate/);
  const positional = await cli(["serve", "extra"]);
  assert.equal(positional.code, 2, positional.stderr);
  assert.match(positional.stderr, /extra/);
});

test("config check names the offending key (irc.nickLength) and exits non-zero", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cmy-cli-"));
  try {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, 'irc: { nickLength: "x" }\n');
    const run = await cli(["config", "check", bad]);
    assert.equal(run.signal, null);
    assert.notEqual(run.code, 0, "invalid config must not pass");
    assert.match(run.stderr, /irc\.nickLength/);
    assert.doesNotMatch(run.stdout, /valid/);

    // The same file given to serve fails before anything listens.
    const serve = await cli(["serve", "--config", bad, "--data-dir", join(dir, "data"), "--irc-listen", "127.0.0.1:0", "--irc-tls-listen", ""]);
    assert.equal(serve.signal, null, "serve with an invalid config exited by itself");
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, /irc\.nickLength/);

    const good = join(dir, "good.yaml");
    await writeFile(good, "irc: { nickLength: 20 }\n");
    const ok = await cli(["config", "check", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a misspelt key is an error naming it, not a setting silently left at its default", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cmy-cli-"));
  try {
    const typo = join(dir, "typo.yaml");
    // minbytes for minBytes: before, `config check` said valid and the policy stayed at 8 bytes.
    await writeFile(typo, "auth:\n  password:\n    minbytes: 20\nhtpp: {}\n");
    const run = await cli(["config", "check", typo]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /auth\.password\.minbytes: not a setting/);
    assert.match(run.stderr, /htpp: not a setting/);
    const serve = await cli(["serve", "--config", typo, "--data-dir", join(dir, "data"), "--irc-listen", "127.0.0.1:0", "--irc-tls-listen", ""]);
    assert.equal(serve.signal, null, "serve with a misspelt key exited by itself");
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, /minbytes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("config check on hostile files: not YAML, not a mapping, missing — clear errors, no stack traces", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cmy-cli-"));
  try {
    const notYaml = join(dir, "broken.yaml");
    await writeFile(notYaml, "irc: [unclosed\n  : : :\n");
    const list = join(dir, "list.yaml");
    await writeFile(list, "- a\n- b\n");
    for (const [name, file] of [["not YAML", notYaml], ["a list", list], ["missing", join(dir, "nope.yaml")]] as const) {
      const run = await cli(["config", "check", file]);
      assert.equal(run.signal, null, name);
      assert.notEqual(run.code, 0, `${name}: must fail`);
      assert.ok(run.stderr.includes(file), `${name}: names the file: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /^\s+at /m, `${name}: no stack trace`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("serve refuses a cluster on SQLite (CMY_REDIS_URL without CMY_DATABASE_URL): exit code 2, the reason, nothing started or made", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cmy-cli-"));
  try {
    const expected =
      "cluster.redisUrl (CMY_REDIS_URL) needs database.url (CMY_DATABASE_URL) on PostgreSQL: nodes share their accounts and history there; SQLite is one node's file";
    const listeners = ["--irc-listen", "127.0.0.1:0", "--irc-tls-listen", "", "--ftp-listen", "", "--http-listen", "127.0.0.1:0"];
    const fromEnv = await cli(["serve", ...listeners], { CMY_REDIS_URL: "redis://127.0.0.1:1", CMY_DATABASE_URL: "", CMY_DATA_DIR: join(dir, "env-data") });
    assert.equal(fromEnv.signal, null, `killed instead of refusing: ${fromEnv.stderr}`);
    assert.equal(fromEnv.code, 2, fromEnv.stderr);
    assert.equal(fromEnv.stderr, `cmymessage: ${expected}\n`);

    // The same from the config file; the data directory is not even made.
    const file = join(dir, "cluster.yaml");
    await writeFile(file, `cluster: { redisUrl: "redis://127.0.0.1:1", nodeName: "n1" }\ndataDir: ${JSON.stringify(join(dir, "file-data"))}\n`);
    const fromFile = await cli(["serve", "--config", file, ...listeners], { CMY_REDIS_URL: undefined, CMY_DATABASE_URL: undefined, CMY_DATA_DIR: undefined });
    assert.equal(fromFile.code, 2, fromFile.stderr);
    assert.ok(fromFile.stderr.includes(expected), fromFile.stderr);
    await assert.rejects(stat(join(dir, "file-data")), { code: "ENOENT" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("settings that would fail only when used are refused when the config loads: a garbled argon2id hash, a certificate without its key, no listener at all (exit code 2)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cmy-cli-"));
  try {
    const cases: Array<[string, string, RegExp]> = [
      // Before: accepted, and every client got 464 (nobody could connect).
      ["server-password.yaml", 'irc: { password: "$argon2id$garbage" }\n', /irc\.password/],
      ["operator.yaml", 'irc: { operators: [{ name: "boss", passwordHash: "$argon2id$bad" }] }\n', /irc\.operators\.0\.passwordHash/],
      // Before: accepted by config check, then serve exited with 1 (a restart loop under systemd's Restart=on-failure).
      ["half-tls.yaml", 'tls: { certFile: "/etc/ssl/cert.pem" }\n', /tls\.keyFile/],
    ];
    for (const [name, text, key] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      const check = await cli(["config", "check", file]);
      assert.equal(check.code, 2, `${name}: ${check.stdout}${check.stderr}`);
      assert.match(check.stderr, key, name);
    }
    // Before: logged "CmyMessage is running" and exited 0 at once.
    const none = await cli(["serve", "--data-dir", join(dir, "data"), "--irc-listen", "", "--irc-tls-listen", "", "--ftp-listen", "", "--http-listen", ""]);
    assert.equal(none.signal, null);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /nothing to serve/);
    // Too many digits is a range problem, not "not a number".
    const port = await cli(["serve", "--data-dir", join(dir, "data"), "--irc-listen", "127.0.0.1:041470"]);
    assert.match(port.stderr, /the port must be 0 to 65535/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
