/**
 * PostgreSQL unavailable: the server reaches the database through a TCP proxy the
 * test controls. While it is cut, a message that cannot be stored is refused with
 * FAIL … TEMPORARILY_UNAVAILABLE and delivered to nobody; everything that needs no
 * database keeps working; when the proxy is back the server recovers by itself.
 * PostgreSQL only (CMY_TEST_POSTGRES_URL).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { createHome, forEachDatabase, openFixture, postgresBaseUrl, postgresUrlVia, sleep, TcpProxy, type AccountsFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { chathistory, exchange, HISTORY_CAPS, parseLine, say, texts, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { plainPayload, registerAccount, SASL_END, saslPlain, sendAuthenticateData } from "../support/sasl.js";

async function behindProxy(t: TestContext): Promise<{ fx: AccountsFixture; proxy: TcpProxy }> {
  const base = new URL(postgresBaseUrl()!);
  const home = await createHome(t, "postgres");
  const proxy = await TcpProxy.start(base.hostname || "127.0.0.1", Number(base.port || 5432));
  home.track(() => proxy.close());
  const fx = await openFixture(t, { database: { url: postgresUrlVia(home, "127.0.0.1", proxy.port) } }, { home });
  return { fx, proxy };
}

/**
 * Cuts the proxy once the server is not in the middle of a query: a query in flight
 * when the connection drops crashes the process (see the "while the server is using
 * its connections" test), and these tests are about what comes after.
 */
async function cutWhenIdle(proxy: TcpProxy): Promise<void> {
  await sleep(150);
  proxy.cut();
  // Let the pool notice its idle connections are gone.
  await sleep(150);
}

/** The FAIL for a message (or the line showing it went through), waiting at most `timeoutMs`. */
async function failOf(client: RawClient, command: string, timeoutMs: number): Promise<string> {
  return client.waitFor(new RegExp(` FAIL ${command} `), timeoutMs);
}

forEachDatabase(
  "database unavailable",
  () => {
    test("cut: PRIVMSG gets FAIL TEMPORARILY_UNAVAILABLE and reaches nobody, PING and the rest still work; restored: the next PRIVMSG is stored and delivered", async (t) => {
      const { fx, proxy } = await behindProxy(t);
      const alice = await registerAccount(fx, "alice", "alices-password", { caps: HISTORY_CAPS });
      const bob = await fx.raw("bob", { caps: [...HISTORY_CAPS] });
      await say(alice, "#general", "before the outage");
      await bob.waitFor(/ :before the outage$/);
      assert.ok(proxy.connections > 0, "the server talks to PostgreSQL through the proxy");

      await cutWhenIdle(proxy);
      const started = Date.now();
      alice.send("PRIVMSG #general :during the outage");
      const fail = parseLine(await failOf(alice, "PRIVMSG", 10_000));
      assert.deepEqual(fail.params.slice(0, 3), ["PRIVMSG", "TEMPORARILY_UNAVAILABLE", "#general"]);
      assert.ok(Date.now() - started < 5000, `the FAIL took ${Date.now() - started} ms`);
      // A DM to an account holder cannot be stored either.
      bob.send("PRIVMSG alice :a private word during the outage");
      assert.deepEqual(parseLine(await failOf(bob, "PRIVMSG", 10_000)).params.slice(0, 3), ["PRIVMSG", "TEMPORARILY_UNAVAILABLE", "alice"]);

      // Nothing was delivered; both are still connected; PING, NICK, JOIN, WHOIS need no database.
      await rawSync(alice);
      await rawSync(bob);
      assert.equal(bob.lines.filter((l) => l.includes("during the outage")).length, 0);
      assert.equal(alice.lines.filter((l) => l.includes("a private word")).length, 0);
      assert.equal(alice.lines.filter((l) => / PRIVMSG #general :during the outage$/.test(l)).length, 0, "no echo of a refused message");
      bob.send("NICK bobby");
      await bob.waitFor(/ NICK :?bobby$/);
      bob.send("JOIN #elsewhere");
      await bob.waitFor(/ 366 bobby #elsewhere /);
      const whois = await exchange(bob, "WHOIS alice");
      assert.ok(whois.some((l) => l.command === "330"));
      const history = await chathistory(alice, "LATEST #general * 10");
      assert.equal(history.ok, false, "history cannot be read");
      assert.ok(!bob.isClosed && !alice.isClosed);

      // Back: the very next message is stored and delivered, without a restart.
      proxy.restore();
      const recovered = await say(alice, "#general", "after recovery");
      assert.match(await bob.waitFor(/ :after recovery$/), new RegExp(`msgid=${recovered.msgid}`));
      assert.deepEqual(texts(await chathistory(bob, "LATEST #general * 10")), ["before the outage", "after recovery"]);
    });

    test("cut: SASL, NickServ and REGISTER answer with a failure instead of hanging; restored: logging in works", async (t) => {
      const { fx, proxy } = await behindProxy(t);
      await registerAccount(fx, "carol", "carols-password", { quit: true });
      const guest = await fx.raw("guest");
      await cutWhenIdle(proxy);

      const nickserv = await exchange(guest, "PRIVMSG NickServ :IDENTIFY carol carols-password", 10_000);
      assert.deepEqual(nickserv.filter((l) => l.command === "NOTICE").map(textOf), ["That cannot be done right now; try again later."]);
      guest.send("REGISTER * * :a decent password");
      assert.match(await guest.waitFor(/ FAIL REGISTER /, 10_000), / FAIL REGISTER TEMPORARILY_UNAVAILABLE guest :/);

      const early = await fx.rawConnect();
      early.send("CAP LS 302");
      early.send("CAP REQ :sasl");
      early.send("AUTHENTICATE PLAIN");
      await early.waitFor(/^AUTHENTICATE \+$/);
      sendAuthenticateData(early, plainPayload("carol", "carols-password"));
      // The login lookup fails; the exchange must end with a 904 the client can act on (it is still in CAP negotiation).
      const sasl = await early.waitFor(SASL_END, 3000).catch(() => null);
      assert.ok(sasl, "no reply to AUTHENTICATE while the database is down: the client waits forever (until the registration timeout)");
      assert.match(sasl, / 904 /);

      proxy.restore();
      const late = await fx.rawConnect();
      late.send("CAP LS 302");
      late.send("CAP REQ :sasl");
      assert.equal((await saslPlain(late, "carol", "carols-password")).command, "903");
    });

    test("cut while a query is in flight: the process survives (no uncaught 'Connection terminated unexpectedly'), the sender gets FAIL", async (t) => {
      const { fx, proxy } = await behindProxy(t);
      const alice = await fx.raw("alice", { caps: [...HISTORY_CAPS] });
      const bob = await fx.raw("bob", { caps: [...HISTORY_CAPS] });
      await sleep(150);
      // Hold the connection mid-query (stall), then drop it: the query is in flight when it goes.
      proxy.stall();
      alice.send("PRIVMSG #general :in flight when the connection drops");
      await sleep(200);
      proxy.cut();
      // pg emits 'error' on a checked-out client that has no listener: an uncaught exception (a crash of the
      // real server process). The test runner reports it against this test as failureType uncaughtException.
      assert.match(await alice.waitFor(/ FAIL PRIVMSG /, 5000), / FAIL PRIVMSG TEMPORARILY_UNAVAILABLE #general /);
      proxy.restore();
      await say(alice, "#general", "still alive");
      await bob.waitFor(/ :still alive$/);
      assert.equal(bob.lines.filter((l) => l.includes("in flight when")).length, 0);
    });

    test("stalled (a partition: PostgreSQL stops answering): PRIVMSG still gets FAIL TEMPORARILY_UNAVAILABLE within 6 s, PING works", async (t) => {
      const { fx, proxy } = await behindProxy(t);
      const alice = await fx.raw("alice", { caps: [...HISTORY_CAPS] });
      const bob = await fx.raw("bob", { caps: [...HISTORY_CAPS] });
      await say(alice, "#general", "before the partition");
      proxy.stall();
      alice.send("PRIVMSG #general :into the void");
      await rawSync(alice);
      const reply = await failOf(alice, "PRIVMSG", 6000).catch(() => null);
      proxy.restore();
      assert.ok(reply, "no FAIL within 6 s: the message hangs as long as the database does not answer");
      assert.match(reply, / FAIL PRIVMSG TEMPORARILY_UNAVAILABLE #general /);
      await sleep(200);
      assert.equal(bob.lines.filter((l) => l.includes("into the void")).length, 0);
    });
  },
  ["postgres"],
);
