/**
 * IRCv3 labeled-response: the labelled reply of a command carries the response to that
 * command only. What reaches a connection while its labelled command runs and answers
 * none of its commands — what the user did on another connection (multiclient: the
 * channel's topic and names after a JOIN, 305/306 after AWAY), CAP NEW/DEL of a reload, the
 * sweep's PING, NickServ's warning and forced rename for a registered nick, MODE -o when a
 * connection from a host the operator block does not allow joins the user — is written at
 * once, outside the labelled batch, as Ergo does.
 *
 * The labelled command held open is a REHASH: the server's reload (its config source) is
 * this test's, and waits until the test lets it go, so the interleaving is certain.
 */
import { before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { RawClient } from "../support/raw-client.js";
import { parseLine, type Line } from "../support/irc-lines.js";
import { saslPlain } from "../support/sasl.js";
import { rawSync } from "../support/fixture.js";

const PASSWORD = "correct horse battery";
const OPER_PASSWORD = "operator-secret";
const CAPS = ["message-tags", "server-time", "echo-message", "labeled-response", "batch"];

let operatorHash = "";
before(async () => {
  operatorHash = await hashPassword(OPER_PASSWORD);
});

interface HeldReload {
  /** Settles once the server has started reloading: the REHASH that asked for it is running. */
  readonly reached: Promise<void>;
  /** Lets the reload (and so the REHASH) finish. */
  release(): void;
}

interface ReloadServer {
  readonly server: RunningServer;
  readonly port: number;
  /** The config the next reloads read. */
  next(tree: Record<string, unknown>): void;
  /** Makes the next reload wait for `release`. */
  holdNextReload(): HeldReload;
}

async function reloadServer(t: TestContext, first: Record<string, unknown> = {}): Promise<ReloadServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-label-own-"));
  const configOf = (tree: Record<string, unknown>): Config =>
    validateConfig(
      {
        ...tree,
        dataDir,
        log: { level: "silent" },
        http: { listen: [] },
        ftp: { listen: [] },
        accounts: { registrationsPerAddressPerHour: 0 },
        irc: { listen: ["127.0.0.1:0"], tlsListen: [], flood: { enabled: false }, operators: [{ name: "admin", passwordHash: operatorHash }], ...(tree["irc"] as object) },
      },
      "test",
    );
  let current = configOf(first);
  let held: { reached: () => void; released: Promise<void> } | null = null;
  const reload = async (): Promise<Config> => {
    const hold = held;
    held = null;
    if (hold) {
      hold.reached();
      await hold.released;
    }
    return current;
  };
  const server = await startServer(current, { log: pino({ level: "silent" }), reload });
  t.after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return {
    server,
    port: server.irc.plain[0]!.port,
    next: (tree) => (current = configOf(tree)),
    holdNextReload() {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      held = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
      return { reached: reachedPromise, release };
    },
  };
}

/** Creates the account `name` over IRC (REGISTER); the registering client quits. */
async function createAccount(port: number, name: string): Promise<void> {
  const client = await RawClient.register(port, name);
  client.send(`REGISTER * * :${PASSWORD}`);
  assert.match(await client.waitFor(/ (REGISTER SUCCESS|FAIL REGISTER) /, 10_000), / REGISTER SUCCESS /);
  client.send("QUIT :bye");
  await client.closed;
}

/** One more connection of the user `alice`: SASL PLAIN before registering, CAP LS 302 (so cap-notify). */
async function loginAlice(t: TestContext, port: number, localAddress = "127.0.0.1"): Promise<RawClient> {
  const client = await RawClient.connect(port, "127.0.0.1", { localAddress });
  t.after(() => client.close());
  client.send("CAP LS 302");
  client.send(`CAP REQ :${["sasl", ...CAPS].join(" ")}`);
  client.send("NICK alice");
  client.send("USER alice 0 * :alice test");
  await client.waitFor(/ CAP \S+ ACK /);
  assert.equal((await saslPlain(client, "alice", PASSWORD)).command, "903");
  client.send("CAP END");
  await client.waitFor(/ 366 alice #general /);
  return client;
}

/** Sends `@label=<label> REHASH`, held by the server's reload until released. */
async function heldRehash(fx: ReloadServer, client: RawClient, label: string): Promise<HeldReload> {
  const held = fx.holdNextReload();
  client.lines.length = 0;
  client.send(`@label=${label} REHASH`);
  await held.reached;
  return held;
}

/** Everything `client` received up to the end of the labelled batch `label` opened; split into before it and inside it. */
async function untilLabelledBatchEnds(client: RawClient, label: string): Promise<{ outside: Line[]; batch: Line[] }> {
  const opening = parseLine(await client.waitFor((raw) => parseLine(raw).tags.get("label") === label));
  assert.equal(opening.command, "BATCH", `the labelled reply is a batch: ${opening.raw}`);
  const ref = opening.params[0]!.slice(1);
  await client.waitFor((raw) => {
    const line = parseLine(raw);
    return line.command === "BATCH" && line.params[0] === `-${ref}`;
  });
  // waitFor took the batch's two ends out; what is left was received in order.
  const lines = client.lines.splice(0).map(parseLine);
  return { outside: lines.filter((line) => line.tags.get("batch") !== ref), batch: lines.filter((line) => line.tags.get("batch") === ref) };
}

/** Command and parameters of each line: what the user sees, without the tags (a topic's time as `<time>`). */
const shown = (lines: readonly Line[]): string[] => lines.map((line) => [line.command, ...(line.command === "333" ? [...line.params.slice(0, 3), "<time>"] : line.params)].join(" "));

test("while a labelled command runs on one connection, the topic, names and 306/305 another connection's JOIN and AWAY bring it come at once, outside its labelled batch", async (t) => {
  const fx = await reloadServer(t);
  await createAccount(fx.port, "alice");
  const bob = await RawClient.register(fx.port, "bob");
  t.after(() => bob.close());
  bob.send("JOIN #topical");
  bob.send("TOPIC #topical :the topic");
  await bob.waitFor(/ TOPIC #topical /);

  const first = await loginAlice(t, fx.port);
  const second = await loginAlice(t, fx.port);
  second.send(`OPER admin ${OPER_PASSWORD}`);
  await second.waitFor(/ 381 alice /);

  const held = await heldRehash(fx, second, "R1");
  first.send("@label=J1 JOIN #topical");
  // The joining connection's own reply stays labelled, with the topic and names in it.
  const joined = await untilLabelledBatchEnds(first, "J1");
  assert.deepEqual(shown(joined.batch), ["JOIN #topical", "332 alice #topical the topic", "333 alice #topical bob!~bob@127.0.0.1 <time>", "353 alice = #topical @bob alice", "366 alice #topical End of /NAMES list."]);
  first.send("AWAY :gone fishing");
  await first.waitFor(/ 306 alice /);
  first.send("AWAY");
  await first.waitFor(/ 305 alice /);
  held.release();

  const { outside, batch } = await untilLabelledBatchEnds(second, "R1");
  assert.deepEqual(shown(batch), ["382 alice config Rehashing", "NOTICE alice *** Configuration reloaded"], "the REHASH's reply holds its own lines only");
  assert.deepEqual(
    shown(outside),
    [
      "JOIN #topical",
      "332 alice #topical the topic",
      "333 alice #topical bob!~bob@127.0.0.1 <time>",
      "353 alice = #topical @bob alice",
      "366 alice #topical End of /NAMES list.",
      "306 alice You have been marked as being away",
      "305 alice You are no longer marked as being away",
    ],
    "what the other connection did, in order, before the labelled batch",
  );
  for (const line of outside) assert.equal(line.tags.get("label"), undefined, line.raw);
});

test("CAP DEL and CAP NEW of a reload reach a connection whose labelled command is running outside its labelled batch, the REHASH's own included", async (t) => {
  const fx = await reloadServer(t, { push: { enabled: true } });
  await createAccount(fx.port, "alice");
  const alice = await loginAlice(t, fx.port);
  alice.send(`OPER admin ${OPER_PASSWORD}`);
  await alice.waitFor(/ 381 alice /);

  // A reload from elsewhere (SIGHUP) while alice's REHASH runs.
  const held = await heldRehash(fx, alice, "R2");
  fx.next({ push: { enabled: false }, irc: { multiline: { maxLines: 3 } } });
  await fx.server.reload();
  held.release();
  const during = await untilLabelledBatchEnds(alice, "R2");
  assert.deepEqual(shown(during.batch), ["382 alice config Rehashing", "NOTICE alice *** Configuration reloaded"]);
  assert.deepEqual(shown(during.outside), ["CAP alice DEL draft/webpush", "CAP alice NEW draft/multiline=max-bytes=4096,max-lines=3"]);

  // The REHASH that makes the change: the notification is still not its reply.
  const own = await heldRehash(fx, alice, "R3");
  fx.next({ push: { enabled: true }, irc: { multiline: { maxLines: 3 } } });
  own.release();
  const caused = await untilLabelledBatchEnds(alice, "R3");
  assert.deepEqual(shown(caused.batch), ["382 alice config Rehashing", "NOTICE alice *** Configuration reloaded"]);
  assert.deepEqual(shown(caused.outside), ["CAP alice NEW draft/webpush"]);
});

test("the sweep's PING reaches a connection whose labelled command is running outside its labelled batch", async (t) => {
  const fx = await reloadServer(t, { irc: { pingIntervalSeconds: 1, pingTimeoutSeconds: 30 } });
  const olga = await RawClient.register(fx.port, "olga", "127.0.0.1", CAPS);
  t.after(() => olga.close());
  const watcher = await RawClient.register(fx.port, "watcher");
  t.after(() => watcher.close());
  olga.send(`OPER admin ${OPER_PASSWORD}`);
  await olga.waitFor(/ 381 olga /);

  const held = await heldRehash(fx, olga, "P1");
  // The watcher was last heard after olga's REHASH: once the sweep pings it, it has pinged olga too.
  await rawSync(watcher);
  watcher.lines.length = 0;
  await watcher.waitFor(/^:\S+ PING /);
  held.release();

  const { outside, batch } = await untilLabelledBatchEnds(olga, "P1");
  assert.deepEqual(shown(batch), ["382 olga config Rehashing", "NOTICE olga *** Configuration reloaded"], "the REHASH's reply holds its own lines only");
  assert.deepEqual(shown(outside), ["PING cmymessage.local"]);
  for (const line of outside) assert.equal(line.tags.get("label"), undefined, line.raw);
});

test("NickServ's warning and rename for a registered nick taken on another connection reach a connection whose labelled command is running outside its labelled batch", async (t) => {
  // A short registration timeout makes the sweep (and so the rename) come often.
  const fx = await reloadServer(t, { auth: { nickEnforcementSeconds: 1 }, irc: { registrationTimeoutSeconds: 2 } });
  await createAccount(fx.port, "alice");
  await createAccount(fx.port, "carol");
  const first = await loginAlice(t, fx.port);
  const second = await loginAlice(t, fx.port);
  second.send(`OPER admin ${OPER_PASSWORD}`);
  await second.waitFor(/ 381 alice /);

  const held = await heldRehash(fx, second, "N1");
  // The account alice's user takes the nick of the account carol: warned after a database look-up, renamed by the sweep.
  first.send("NICK carol");
  await first.waitFor(/ NOTICE carol :The nick carol belongs to a registered account/);
  await first.waitFor(/ NOTICE Guest\d+ :You did not log in to carol in time/, 10_000);
  held.release();

  const { outside, batch } = await untilLabelledBatchEnds(second, "N1");
  const guest = (lines: readonly string[]): string[] => lines.map((line) => line.replace(/Guest\d+/g, "Guest<n>"));
  assert.deepEqual(guest(shown(batch)), ["382 alice config Rehashing", "NOTICE Guest<n> *** Configuration reloaded"], "the REHASH's reply holds its own lines only");
  assert.deepEqual(
    guest(shown(outside)),
    [
      "NICK carol",
      "NOTICE carol The nick carol belongs to a registered account. Log in within 1 seconds (/msg NickServ IDENTIFY <password>, or SASL), or your nick will be changed.",
      "NICK Guest<n>",
      "NOTICE Guest<n> You did not log in to carol in time, so your nick is now Guest<n>.",
    ],
    "the nick change, NickServ's warning and the forced rename, in order, before the labelled batch",
  );
  for (const line of outside) assert.equal(line.tags.get("label"), undefined, line.raw);
});

test("MODE -o, when a connection from a host the operator block does not allow joins the user, reaches the operator's connection whose labelled command is running outside its labelled batch", async (t) => {
  const fx = await reloadServer(t, { irc: { operators: [{ name: "admin", passwordHash: operatorHash, hostMask: "*@127.0.0.1" }] } });
  await createAccount(fx.port, "alice");
  const operator = await loginAlice(t, fx.port);
  operator.send(`OPER admin ${OPER_PASSWORD}`);
  await operator.waitFor(/ 381 alice /);

  const held = await heldRehash(fx, operator, "O1");
  const elsewhere = await loginAlice(t, fx.port, "127.0.0.2");
  // Every connection of the user was told in one go: this one's notice comes last.
  await elsewhere.waitFor(/ NOTICE alice :Operator status ended/);
  held.release();

  const { outside, batch } = await untilLabelledBatchEnds(operator, "O1");
  assert.deepEqual(shown(batch), ["382 alice config Rehashing", "NOTICE alice *** Configuration reloaded"], "the REHASH's reply holds its own lines only");
  assert.deepEqual(shown(outside), ["MODE alice -o"]);
  for (const line of outside) assert.equal(line.tags.get("label"), undefined, line.raw);
});
