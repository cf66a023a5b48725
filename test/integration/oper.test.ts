import { test, before } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync, type Fixture } from "../support/fixture.js";
import { RawClient } from "../support/raw-client.js";
import type { TestContext } from "node:test";
import { hashPassword } from "../../src/auth/passwords.js";
import { openFixture } from "../support/account-server.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

let operatorHash = "";
before(async () => {
  operatorHash = await hashPassword("correct horse");
});

function operServer(t: TestContext): Promise<Fixture> {
  return setup(t, {
    irc: {
      operators: [
        { name: "admin", passwordHash: operatorHash },
        { name: "remote", passwordHash: operatorHash, hostMask: "*@192.0.2.1" },
      ],
    },
  });
}

test("OPER: a wrong password or unknown name gets 464; the right one 381 and MODE +o, seen in WHOIS, USERHOST and LUSERS", async (t) => {
  const fx = await operServer(t);
  const oper = await fx.connect("boss");
  const viewer = await fx.raw("viewer");

  oper.client.raw("OPER", "admin", "wrong password");
  assert.match(await oper.waitRaw(/ 464 /), /^:cmymessage\.local 464 boss :Password incorrect$/);
  oper.client.raw("OPER", "nobody", "correct horse");
  await oper.waitRaw(/ 464 boss /);
  viewer.send("WHOIS boss");
  await viewer.waitFor(/ 318 viewer boss /);
  assert.equal(viewer.lines.filter((l) => / 313 /.test(l)).length, 0);

  oper.client.raw("OPER", "admin", "correct horse");
  assert.match(await oper.waitRaw(/ 381 /), /^:cmymessage\.local 381 boss :You are now an IRC operator$/);
  const mode = await oper.waitFor("mode", (e) => e.target === "boss");
  assert.deepEqual(mode.modes.map((m) => m.mode), ["+o"]);
  assert.match(await oper.waitRaw(/ MODE boss /), /^:boss!~boss@127\.0\.0\.1 MODE boss :?\+o$/);

  viewer.send("WHOIS boss");
  assert.match(await viewer.waitFor(/ 313 /), /^:cmymessage\.local 313 viewer boss :is an IRC operator$/);
  viewer.send("USERHOST boss");
  assert.match(await viewer.waitFor(/ 302 /), / 302 viewer :boss\*=\+~boss@127\.0\.0\.1$/);
  viewer.lines.splice(0); // drop the welcome burst's LUSERS
  viewer.send("LUSERS");
  assert.match(await viewer.waitFor(/ 252 /), / 252 viewer 1 :operator\(s\) online$/);
  viewer.send("WHO boss");
  assert.match(await viewer.waitFor(/ 352 /), / boss H\* :0 boss test$/);

  // An operator may drop the status; it is gone then.
  oper.client.raw("MODE", "boss", "-o");
  await oper.waitRaw(/ MODE boss :?-o$/);
  viewer.send("LUSERS");
  assert.match(await viewer.waitFor(/ 252 /), / 252 viewer 0 /);
});

test("OPER from a host outside the operator's hostMask: the right password gets the same 464 as a wrong one (no password oracle); three failures close the connection", async (t) => {
  const fx = await operServer(t);
  const c = await fx.raw("tryer");
  c.send("OPER remote :correct horse");
  const right = await c.waitFor(/ (464|491) /);
  c.send("OPER remote :wrong horse");
  const wrong = await c.waitFor(/ (464|491) /);
  assert.equal(right, ":cmymessage.local 464 tryer :Password incorrect");
  assert.equal(wrong, right, "the right and a wrong password get the same answer");

  c.send("OPER admin nope");
  assert.equal(await c.waitFor(/ (464|491) /), ":cmymessage.local 464 tryer :Password incorrect", "each failure gets 464, the third also closes");
  assert.match(await c.waitFor(/^ERROR /), /^ERROR :Closing link: 127\.0\.0\.1 \(Too many failed OPER attempts\)$/);
  await c.closed;
});

/** A registered raw client whose connection comes from `localAddress`. */
async function rawFrom(fx: Fixture, nick: string, localAddress: string): Promise<RawClient> {
  const c = fx.track(await RawClient.connect(fx.server.port, "127.0.0.1", { localAddress }));
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick}`);
  await c.waitFor(/ 001 /);
  return c;
}

test("OPER guesses count in the shared login guard: per address and operator name, never against the operator elsewhere", async (t) => {
  const fx = await setup(t, {
    auth: { bruteForce: { backoffBaseSeconds: 30, backoffMaxSeconds: 60, accountAddressLockoutAfter: 3, addressLockoutAfter: 1000, lockoutSeconds: 120 } },
    irc: { operators: [{ name: "admin", passwordHash: operatorHash }] },
  });
  const guesser = await rawFrom(fx, "guesser", "127.0.0.2");
  guesser.send("OPER admin :guess one");
  guesser.send("OPER admin :guess two");
  // Two failures from 127.0.0.2: the back-off (30 s) refuses even the right password from there.
  guesser.send("OPER admin :correct horse");
  const answers = [await guesser.waitFor(/ 464 /), await guesser.waitFor(/ 464 /), await guesser.waitFor(/ 464 /)];
  await guesser.waitFor(/^ERROR /);
  assert.deepEqual(
    answers,
    [
      ":cmymessage.local 464 guesser :Password incorrect",
      ":cmymessage.local 464 guesser :Password incorrect",
      ":cmymessage.local 464 guesser :Too many failed attempts; try again in 30 seconds",
    ],
  );
  assert.equal(guesser.lines.filter((l) => / 381 /.test(l)).length, 0);
  // A new connection from the same address is still refused: the count is not per connection.
  const again = await rawFrom(fx, "again", "127.0.0.2");
  again.send("OPER admin :correct horse");
  assert.match(await again.waitFor(/ 464 /), /try again in \d+ seconds$/);
  // The operator from another address is not refused.
  const real = await rawFrom(fx, "realoper", "127.0.0.3");
  real.send("OPER admin :correct horse");
  assert.match(await real.waitFor(/ 381 /), / 381 realoper :You are now an IRC operator$/);
});

test("KILL by an operator: the target gets ERROR and is disconnected; everyone sharing a channel sees QUIT 'Killed'", async (t) => {
  const fx = await operServer(t);
  const oper = await fx.connect("boss");
  const victim = await fx.raw("victim");
  const witness = await fx.connect("witness");
  oper.client.raw("OPER", "admin", "correct horse");
  await oper.waitRaw(/ 381 /);

  oper.client.raw("KILL", "victim", "spamming the channel");
  assert.equal(await victim.waitFor(/^ERROR /), "ERROR :Closing link: 127.0.0.1 (Killed (boss (spamming the channel)))");
  await victim.closed;
  for (const client of [witness, oper]) {
    const quit = await client.waitFor("quit", (e) => e.nick === "victim");
    assert.equal(quit.message, "Killed (boss (spamming the channel))");
    assert.match(quit.message, /Killed/);
  }
  await witness.sync();
  assert.equal(witness.events("quit").length, 0, "QUIT seen once");

  witness.client.raw("ISON", "victim");
  assert.deepEqual((await witness.waitFor("users online")).nicks, [""]);
  oper.client.raw("KILL", "ghost", "whatever");
  assert.match(await oper.waitRaw(/ 401 /), / 401 boss ghost :No such nick\/channel$/);
  oper.client.raw("KILL", "witness");
  assert.match(await oper.waitRaw(/ 461 /), / 461 boss KILL :Not enough parameters$/);
});

test("KILL (and REHASH) by a non-operator gets 481 and harms nobody", async (t) => {
  const fx = await operServer(t);
  const user = await fx.raw("mortal");
  const target = await fx.raw("target");
  user.send("KILL target :begone");
  assert.equal(await user.waitFor(/ 481 /), ":cmymessage.local 481 mortal :Permission Denied- You're not an IRC operator");
  user.send("REHASH");
  await user.waitFor(/ 481 mortal /);
  await rawSync(target);
  assert.equal(target.isClosed, false);
  assert.equal(target.lines.filter((l) => /^ERROR /.test(l)).length, 0);
});

test("a labelled OPER (an asynchronous command) gets its replies in one labeled-response batch", async (t) => {
  const fx = await operServer(t);
  const c = await fx.raw("labeloper", ["labeled-response", "batch"]);
  c.lines.splice(0);
  c.send("@label=op1 OPER admin :correct horse");
  const start = await c.waitFor(/ BATCH \+/);
  const ref = /^@label=op1 :cmymessage\.local BATCH \+(\S+) labeled-response$/.exec(start)?.[1];
  assert.ok(ref, start);
  await c.waitFor(new RegExp(` BATCH -${ref}$`));
  assert.deepEqual(c.lines.splice(0), [
    `@batch=${ref} :cmymessage.local 381 labeloper :You are now an IRC operator`,
    `@batch=${ref} :labeloper!~labeloper@127.0.0.1 MODE labeloper +o`,
  ]);
});

test("a connection that joins an operator's user (multiclient) from a host the operator block does not allow ends its operator status", async (t) => {
  const fx = await openFixture(t, { irc: { operators: [{ name: "local", passwordHash: operatorHash, hostMask: "*@127.0.0.1" }] } });
  await registerAccount(fx, "opal", "opals-password", { quit: true });
  const first = await connectWithPlain(fx, "opal", "opal", "opals-password", { localAddress: "127.0.0.1" });
  first.client.send("OPER local :correct horse");
  await first.client.waitFor(/ 381 opal /);

  // Same account, from 127.0.0.2: the account's password, but never OPER nor the operator's host.
  const second = await connectWithPlain(fx, "opal", "opal", "opals-password", { localAddress: "127.0.0.2" });
  await second.client.waitFor(/ NOTICE opal :Operator status ended/);
  await first.client.waitFor(/^:opal!\S+ MODE opal :?-o$/);
  second.client.send("MODE opal");
  assert.match(await second.client.waitFor(/ 221 opal /), / 221 opal :?\+?$/);
  second.client.send("KILL someone :because");
  await second.client.waitFor(/ 481 opal /);

  // From an allowed host, the status stays.
  first.client.send("OPER local :correct horse");
  await first.client.waitFor(/ 381 opal /);
  const third = await connectWithPlain(fx, "opal", "opal", "opals-password", { localAddress: "127.0.0.1" });
  third.client.send("MODE opal");
  assert.match(await third.client.waitFor(/ 221 opal /), / 221 opal :?\+\S*o/);
});
