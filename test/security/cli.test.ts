/**
 * The command line refuses what it does not understand, loudly and with the right
 * exit code. Run as a child process with an argument array (no shell involved).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";

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
      ["--import", "tsx", "src/cli/main.ts", ...args],
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
