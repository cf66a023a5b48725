/**
 * What a newcomer following the README meets on the command line, run as child
 * processes with an argument array (no shell): `config check` judges a file as `serve`
 * would (with the environment, and the checks serve makes before it listens), and every
 * command answers -h/--help with the usage instead of an error.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cliEnvironment, runCli, type CliRun } from "../support/cli-command.js";
import { NOTHING_TO_SERVE, REDIS_NEEDS_POSTGRES } from "../../src/cluster/serving-checks.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const cli = runCli;
const environment = cliEnvironment;

/** The JSON `config check` prints after its first line. */
function effectiveSettings(run: CliRun): { ftp: { listen: string[] }; irc: { nickLength: number } } {
  return JSON.parse(run.stdout.slice(run.stdout.indexOf("\n") + 1)) as { ftp: { listen: string[] }; irc: { nickLength: number } };
}

describe("config check judges a file as serve does", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cmy-cli-check-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("a cluster on SQLite: config check refuses it as serve does, with the same message and exit code 2", async () => {
    const file = join(dir, "cluster.yaml");
    const data = join(dir, "cluster-data");
    await writeFile(file, `cluster:\n  redisUrl: redis://127.0.0.1:6379/9\ndataDir: ${JSON.stringify(data)}\n`);
    const check = await cli(["config", "check", file]);
    assert.equal(check.signal, null);
    assert.equal(check.code, 2, `config check: ${check.stdout}${check.stderr}`);
    assert.equal(check.stderr, `cmymessage: ${REDIS_NEEDS_POSTGRES}\n`);
    assert.doesNotMatch(check.stdout, /valid/);

    const serve = await cli(["serve", "--config", file, "--irc-listen", "127.0.0.1:0", "--irc-tls-listen", "", "--ftp-listen", "", "--http-listen", ""]);
    assert.equal(serve.code, 2, serve.stderr);
    assert.equal(serve.stderr, check.stderr, "the same words from both");
    await assert.rejects(stat(data), { code: "ENOENT" }, "nothing was made");
  });

  test("the environment counts: CMY_* variables show in the effective settings, and a setting they make unservable is refused", async () => {
    const file = join(dir, "plain.yaml");
    await writeFile(file, "irc: { nickLength: 20 }\n");
    const ok = await cli(["config", "check", file], { CMY_FTP_LISTEN: "" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^.*plain\.yaml: valid/);
    const settings = effectiveSettings(ok);
    assert.deepEqual(settings.ftp.listen, [], "CMY_FTP_LISTEN= turned FTP off");
    assert.equal(settings.irc.nickLength, 20, "the file's settings are there too");

    // Every listener off by the environment: serve refuses it, so config check does.
    const none = { CMY_IRC_LISTEN: "", CMY_IRC_TLS_LISTEN: "", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "" };
    const check = await cli(["config", "check", file], none);
    assert.equal(check.code, 2, `config check: ${check.stdout}${check.stderr}`);
    assert.equal(check.stderr, `cmymessage: ${NOTHING_TO_SERVE}\n`);
    const serve = await cli(["serve", "--config", file, "--data-dir", join(dir, "none-data")], none);
    assert.equal(serve.code, 2, serve.stderr);
    assert.equal(serve.stderr, check.stderr);

    // The passwords of the database and Redis URLs (CMY_DATABASE_URL, CMY_REDIS_URL) are not printed.
    const secret = "pg-secret-Zq81";
    const cluster = await cli(["config", "check", file], {
      CMY_DATABASE_URL: `postgres://cmy:${secret}@127.0.0.1:5432/cmy`,
      CMY_REDIS_URL: `redis://:${secret}-r@127.0.0.1:6379/3`,
    });
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.doesNotMatch(cluster.stdout, new RegExp(secret), "no password in the output");
    const shown = JSON.parse(cluster.stdout.slice(cluster.stdout.indexOf("\n") + 1)) as { database: { url: string }; cluster: { redisUrl: string } };
    assert.equal(shown.database.url, "postgres://cmy:***@127.0.0.1:5432/cmy");
    assert.equal(shown.cluster.redisUrl, "redis://:***@127.0.0.1:6379/3");

    // A variable serve cannot read is refused by config check, naming it.
    const garbled = await cli(["config", "check", file], { CMY_FTP_PASSIVE_PORT_MIN: "lots" });
    assert.equal(garbled.code, 2, garbled.stdout);
    assert.match(garbled.stderr, /CMY_FTP_PASSIVE_PORT_MIN/);
  });
});

describe("-h and --help after any command print the usage", () => {
  const commands: ReadonlyArray<readonly string[]> = [
    ["serve"],
    ["config"],
    ["config", "check"],
    ["hash-password"],
    ["user"],
    ["user", "add"],
    ["user", "add", "bob"],
    ["user", "list"],
    ["migrate"],
  ];
  for (const command of commands) {
    for (const flag of ["--help", "-h"]) {
      test(`cmymessage ${command.join(" ")} ${flag}`, async () => {
        const data = join(tmpdir(), `cmy-help-${process.pid}-${command.join("-")}${flag}`);
        const run = await cli([...command, flag], { CMY_DATA_DIR: data });
        assert.equal(run.signal, null, `killed: ${run.stderr}`);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, "");
        assert.match(run.stdout, /^Usage: cmymessage <command> \[options\]/);
        assert.match(run.stdout, new RegExp(`^  ${command[0]} `, "m"), "the usage names the command");
        await assert.rejects(stat(data), { code: "ENOENT" }, "help does nothing else (no data directory made)");
      });
    }
  }
});
