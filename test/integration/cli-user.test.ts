/**
 * `cmymessage user add|passwd|del|list` and `cmymessage migrate`, run as child
 * processes with an argument array (no shell), against a temp data directory
 * (SQLite) and, when CMY_TEST_POSTGRES_URL is set, a PostgreSQL schema of its own;
 * and what every command refuses before it touches data (the data directory, listen addresses).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { openStore } from "../../src/store/database.js";
import { MIGRATION_TABLE } from "../../src/store/migrator.js";
import { migrations } from "../../src/store/migrations/index.js";
import { verifyPassword } from "../../src/auth/passwords.js";
import { forEachDialect } from "../support/databases.js";
import { cliCommand } from "../support/cli-command.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` (an array: no shell), `input` on stdin (then closed), and a clean environment; killed after `timeoutMs`. */
function cli(args: readonly string[], env: Record<string, string>, input = "", timeoutMs = 30_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...cliCommand().args, ...args], {
      cwd: root,
      // Nothing from the developer's environment decides where the data goes.
      env: { ...process.env, CMY_CONFIG: "", CMY_DATABASE_URL: "", CMY_LOG_LEVEL: "warn", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

function assertExit(run: Run, code: number, what: string): void {
  assert.equal(run.signal, null, `${what}: killed (stderr: ${run.stderr})`);
  assert.equal(run.code, code, `${what}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /^\s+at /m, `${what}: a message, not a stack trace`);
}

async function withDataDir(body: (env: Record<string, string>, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-cli-user-"));
  try {
    await body({ CMY_DATA_DIR: dataDir }, dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The stored argon2id hash of `name`, read straight from the database. */
async function storedHash(url: string, dataDir: string, name: string): Promise<string | undefined> {
  const store = await openStore({ url, dataDir, migrate: false });
  try {
    const row = await store.db
      .selectFrom("credentials")
      .innerJoin("accounts", "accounts.id", "credentials.account_id")
      .select("credentials.value")
      .where("accounts.name_folded", "=", name.toLowerCase())
      .where("credentials.kind", "=", "argon2id")
      .executeTakeFirst();
    return row?.value;
  } finally {
    await store.close();
  }
}

const PASSWORD = "alice's long secret";

/** Runs the CLI on a terminal (test/support/tty/run-in-pty.py), typing `typed` once `prompt` shows. */
function cliAtTerminal(args: readonly string[], env: Record<string, string>, prompt: string, typed: string): Promise<{ exited: boolean; code: number | null; shown: string }> {
  return new Promise((done, fail) => {
    const helper = join(root, "test/support/tty/run-in-pty.py");
    const child = spawn("python3", [helper, prompt, typed, "15", "--", process.execPath, ...cliCommand().args, ...args], {
      cwd: root,
      env: { ...process.env, CMY_CONFIG: "", CMY_DATABASE_URL: "", CMY_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", fail);
    child.on("close", () => {
      try {
        done(JSON.parse(out) as { exited: boolean; code: number | null; shown: string });
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

describe("cmymessage user / migrate (SQLite in CMY_DATA_DIR)", () => {
  test("user add at a terminal asks for the password, does not show it, and is done at Enter", async () => {
    await withDataDir(async (env, dataDir) => {
      const secret = "typed at the terminal 7";
      // Before: the password was echoed, and nothing happened at Enter until ^D closed stdin.
      const run = await cliAtTerminal(["user", "add", "carol"], env, "Password: ", `${secret}\r`);
      assert.ok(run.exited, `still waiting after Enter; the terminal showed: ${JSON.stringify(run.shown)}`);
      assert.equal(run.code, 0, run.shown);
      assert.match(run.shown, /added account carol/);
      assert.ok(!run.shown.includes(secret), `the password was shown: ${JSON.stringify(run.shown)}`);
      assert.equal(await verifyPassword(await storedHash("", dataDir, "carol"), secret), true);
    });
  });

  test("user add with --password, then from stdin; list shows both; the password appears nowhere in the output", async () => {
    await withDataDir(async (env, dataDir) => {
      const add = await cli(["user", "add", "Alice", "--password", PASSWORD], env);
      assertExit(add, 0, "user add --password");
      assert.match(add.stdout, /^added account Alice$/m);

      const piped = await cli(["user", "add", "bob"], env, "bob's piped password\nignored second line\n");
      assertExit(piped, 0, "user add (stdin)");
      assert.match(piped.stdout, /added account bob/);
      assert.equal(await verifyPassword(await storedHash("", dataDir, "bob"), "bob's piped password"), true, "the first line of stdin is the password");

      const list = await cli(["user", "list"], env);
      assertExit(list, 0, "user list");
      const lines = list.stdout.trim().split("\n");
      assert.equal(lines.length, 2, list.stdout);
      assert.match(lines[0]!, /^Alice\tcreated \d{4}-\d\d-\d\dT[\d:.]+Z\tlast seen never$/);
      assert.match(lines[1]!, /^bob\t/);
      for (const run of [add, piped, list]) {
        assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD), "the password is not echoed");
      }
      assert.equal(await verifyPassword(await storedHash("", dataDir, "alice"), PASSWORD), true);
    });
  });

  test("refusals exit 1 with the reason: weak password, duplicate (any case), invalid name; nothing is stored", async () => {
    await withDataDir(async (env) => {
      assertExit(await cli(["user", "add", "alice", "--password", PASSWORD], env), 0, "first add");

      const short = await cli(["user", "add", "carol", "--password", "short"], env);
      assertExit(short, 1, "too short");
      assert.match(short.stderr, /cannot add carol: Passwords must be at least 8 bytes long/);

      const common = await cli(["user", "add", "carol"], env, "password1\n");
      assertExit(common, 1, "common");
      assert.match(common.stderr, /cannot add carol: .*most common passwords/);

      const long = await cli(["user", "add", "carol", "--password", "x".repeat(1025)], env);
      assertExit(long, 1, "too long");
      assert.match(long.stderr, /at most 1024 bytes/);

      const duplicate = await cli(["user", "add", "ALICE", "--password", "another long password"], env);
      assertExit(duplicate, 1, "duplicate");
      assert.match(duplicate.stderr, /cannot add ALICE: that account name is taken/);

      const invalid = await cli(["user", "add", "1nvalid name", "--password", PASSWORD], env);
      assertExit(invalid, 1, "invalid name");
      assert.match(invalid.stderr, /account names follow the nick rules/);

      const list = await cli(["user", "list"], env);
      assertExit(list, 0, "list");
      assert.deepEqual(list.stdout.trim().split("\n").map((l) => l.split("\t")[0]), ["alice"]);
    });
  });

  test("usage mistakes exit 2: no name, no password on stdin, extra arguments, unknown action", async () => {
    await withDataDir(async (env) => {
      for (const [args, input, pattern] of [
        [["user", "add"], "", /usage: cmymessage user/],
        [["user", "add", "dave"], "", /no password given/],
        [["user", "list", "extra"], "", /usage: cmymessage user/],
        [["user", "frobnicate", "x"], "", /usage: cmymessage user/],
        [["user", "add", "dave", "--bogus"], "", /bogus/],
      ] as const) {
        const run = await cli(args, env, input);
        assertExit(run, 2, args.join(" "));
        assert.match(run.stderr, pattern, args.join(" "));
      }
    });
  });

  test("user passwd replaces the password (new works, old does not); weak or unknown exit 1", async () => {
    await withDataDir(async (env, dataDir) => {
      assertExit(await cli(["user", "add", "alice", "--password", PASSWORD], env), 0, "add");
      const before = await storedHash("", dataDir, "alice");

      const passwd = await cli(["user", "passwd", "Alice"], env, "a brand new passphrase\n");
      assertExit(passwd, 0, "passwd");
      assert.match(passwd.stdout, /changed the password of Alice/);
      const after = await storedHash("", dataDir, "alice");
      assert.notEqual(after, before);
      assert.equal(await verifyPassword(after, "a brand new passphrase"), true);
      assert.equal(await verifyPassword(after, PASSWORD), false);

      const weak = await cli(["user", "passwd", "alice", "--password", "123"], env);
      assertExit(weak, 1, "weak passwd");
      assert.match(weak.stderr, /at least 8 bytes/);
      assert.equal(await storedHash("", dataDir, "alice"), after, "unchanged");

      const unknown = await cli(["user", "passwd", "nobody", "--password", "a brand new passphrase"], env);
      assertExit(unknown, 1, "passwd nobody");
      assert.match(unknown.stderr, /cannot change the password of nobody: no such account/);
    });
  });

  test("user del removes the account (any case); deleting again, an unknown name or adding the deleted name again exits 1", async () => {
    await withDataDir(async (env, dataDir) => {
      assertExit(await cli(["user", "add", "alice", "--password", PASSWORD], env), 0, "add alice");
      assertExit(await cli(["user", "add", "bob", "--password", PASSWORD], env), 0, "add bob");
      const del = await cli(["user", "del", "ALICE"], env);
      assertExit(del, 0, "del");
      assert.match(del.stdout, /deleted account alice\b/, "the stored name, not the one typed");
      assert.equal(await storedHash("", dataDir, "alice"), undefined, "credentials gone too");

      const again = await cli(["user", "del", "alice"], env);
      assertExit(again, 1, "del again");
      assert.match(again.stderr, /cannot delete alice: no such account/);

      const reuse = await cli(["user", "add", "Alice", "--password", PASSWORD], env);
      assertExit(reuse, 1, "add a deleted account's name");
      assert.match(reuse.stderr, /a deleted account had that name/);

      const list = await cli(["user", "list"], env);
      assert.deepEqual(list.stdout.trim().split("\n").map((l) => l.split("\t")[0]), ["bob"]);
    });
  });

  test("migrate applies the migrations to a new database, then says it is up to date; a newer schema is refused with exit 1", async () => {
    await withDataDir(async (env, dataDir) => {
      const first = await cli(["migrate"], env);
      assertExit(first, 0, "migrate");
      assert.equal(first.stdout, `applied ${migrations.map((m) => m.name).join(", ")} to ${join(dataDir, "cmymessage.db")}\n`);
      const second = await cli(["migrate"], env);
      assertExit(second, 0, "migrate again");
      assert.equal(second.stdout, `${join(dataDir, "cmymessage.db")} is up to date\n`);

      const store = await openStore({ url: "", dataDir, migrate: false });
      try {
        await (store.db as unknown as Kysely<Record<string, { name: string; timestamp: string }>>)
          .insertInto(MIGRATION_TABLE)
          .values({ name: "9999-future", timestamp: new Date().toISOString() })
          .execute();
      } finally {
        await store.close();
      }
      for (const args of [["migrate"], ["user", "list"]]) {
        const refused = await cli(args, env);
        assertExit(refused, 1, args.join(" "));
        assert.match(refused.stderr, /schema is newer than this version of CmyMessage knows \(unknown migrations: 9999-future\); upgrade CmyMessage or restore a backup/);
      }
      assertExit(await cli(["migrate", "extra"], env), 2, "migrate extra");
    });
  });
});

describe("what the CLI refuses before it touches any data", () => {
  // Nothing listens if a start got that far by mistake: every listener on a free port of loopback.
  const quietListeners = { CMY_IRC_LISTEN: "127.0.0.1:0", CMY_IRC_TLS_LISTEN: "", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "127.0.0.1:0", CMY_METRICS_LISTEN: "" };

  test("a data directory that cannot be made (/proc/x, below a file) exits 1 at once with the reason, for every command", { skip: process.platform !== "linux" && "needs Linux's /proc" }, async () => {
    // Node's recursive mkdir of /proc/x spun forever at full CPU; a few seconds is plenty for a refusal.
    // The commands that make it (user passwd, del and list refuse a data directory with no database instead).
    for (const args of [["user", "add", "alice", "--password", PASSWORD], ["migrate"], ["serve"]]) {
      const run = await cli([...args, "--data-dir", "/proc/x"], quietListeners, "", 20_000);
      assertExit(run, 1, `${args.join(" ")} --data-dir /proc/x`);
      assert.match(run.stderr, /cannot make the data directory \/proc\/x: \/proc takes no new folders/, args.join(" "));
    }
    await withDataDir(async (_env, dataDir) => {
      const file = join(dataDir, "a-file");
      await writeFile(file, "");
      const run = await cli(["user", "add", "alice", "--password", PASSWORD, "--data-dir", join(file, "data")], {}, "", 20_000);
      assertExit(run, 1, "a data directory below a file");
      assert.match(run.stderr, new RegExp(`cannot make the data directory .*: ${file} is not a folder`));
    });
  });

  test("missing parents of the data directory are made, private", async () => {
    await withDataDir(async (_env, dataDir) => {
      const nested = join(dataDir, "a", "b");
      assertExit(await cli(["user", "add", "alice", "--password", PASSWORD, "--data-dir", nested], {}), 0, "user add in a new nested folder");
      for (const folder of [join(dataDir, "a"), nested]) assert.equal((await stat(folder)).mode & 0o777, 0o700, folder);
    });
  });

  test("an IPv6 listen address without a port says the port is missing or not a number, not that brackets are needed", async () => {
    await withDataDir(async (env) => {
      for (const [listen, reason] of [
        ["[::1]", /"\[::1\]": the port is missing/],
        ["[::1]:", /"\[::1\]:": the port is missing/],
        ["[::1]:abc", /"\[::1\]:abc": the port must be a number/],
      ] as const) {
        const run = await cli(["serve"], { ...env, ...quietListeners, CMY_HTTP_LISTEN: listen });
        assertExit(run, 2, `CMY_HTTP_LISTEN=${listen}`);
        assert.match(run.stderr, /http\.listen\.0: /, listen);
        assert.match(run.stderr, reason, listen);
        assert.doesNotMatch(run.stderr, /bracket/, listen);
      }
    });
  });
});

forEachDialect(
  "cmymessage user / migrate with CMY_DATABASE_URL",
  (target) => {
    test("migrate, user add, user list and user del against a PostgreSQL schema of its own", async (t) => {
      const database = await target.create(t);
      const env = { CMY_DATA_DIR: database.dataDir, CMY_DATABASE_URL: database.url };
      const migrate = await cli(["migrate"], env);
      assertExit(migrate, 0, "migrate");
      assert.match(migrate.stdout, /^applied 0001-initial/);
      assert.doesNotMatch(migrate.stdout, /:[^@/]*@.*\*\*\*/, "no password to redact in this URL");

      assertExit(await cli(["user", "add", "PgUser", "--password", PASSWORD], env), 0, "add");
      const piped = await cli(["user", "add", "other"], env, "other's long password\n");
      assertExit(piped, 0, "add (stdin)");
      const duplicate = await cli(["user", "add", "pguser", "--password", PASSWORD], env);
      assertExit(duplicate, 1, "duplicate");
      assert.match(duplicate.stderr, /that account name is taken/);

      const list = await cli(["user", "list"], env);
      assertExit(list, 0, "list");
      assert.deepEqual(list.stdout.trim().split("\n").map((l) => l.split("\t")[0]), ["other", "PgUser"]);

      // It really is in this schema of PostgreSQL, not in a SQLite file.
      const store = await database.open({ migrate: false });
      const names = await store.db.selectFrom("accounts").select("name").orderBy("name_folded").execute();
      assert.deepEqual(names.map((n) => n.name), ["other", "PgUser"]);
      assert.equal(await verifyPassword(await storedHash(database.url, database.dataDir, "pguser"), PASSWORD), true);

      assertExit(await cli(["user", "del", "pguser"], env), 0, "del");
      const after = await cli(["user", "list"], env);
      assert.deepEqual(after.stdout.trim().split("\n").map((l) => l.split("\t")[0]), ["other"]);
    });
  },
  { dialects: ["postgres"] },
);

describe("user commands refuse what would change the wrong database", () => {
  test("user list, passwd and del on a data directory with no database say so and make nothing there", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cmy-cli-nodb-"));
    try {
      const env = { CMY_DATA_DIR: join(dataDir, "typo") };
      for (const args of [["user", "list"], ["user", "del", "alice"], ["user", "passwd", "alice", "--password", PASSWORD]]) {
        const run = await cli(args, env);
        assertExit(run, 1, args.join(" "));
        assert.match(run.stderr, /no database at .*typo.*cmymessage\.db: is the data directory right\?/);
      }
      await assert.rejects(stat(join(dataDir, "typo")), "no data directory was made");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("with CMY_REDIS_URL but no PostgreSQL database URL, user add refuses as serve does (exit 2), making no SQLite file", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cmy-cli-redis-"));
    try {
      const run = await cli(["user", "add", "swarmy", "--password", PASSWORD], { CMY_DATA_DIR: dataDir, CMY_REDIS_URL: "redis://127.0.0.1:6379/11", CMY_DATABASE_URL: "" });
      assertExit(run, 2, "user add");
      assert.match(run.stderr, /cluster\.redisUrl \(CMY_REDIS_URL\) needs database\.url/);
      await assert.rejects(stat(join(dataDir, "cmymessage.db")), "no SQLite database was made");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
