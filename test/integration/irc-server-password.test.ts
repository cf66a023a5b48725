/**
 * The server password (irc.password, an argon2id hash): PASS before NICK/USER,
 * checked off the event loop; missing or wrong gets 464 and the connection closes.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync, unconsumed } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { hashPassword } from "../../src/auth/passwords.js";

let hash = "";
before(async () => {
  hash = await hashPassword("open sesame");
});

async function refused(c: RawClient, nick: string): Promise<void> {
  assert.equal(await c.waitFor(/ 464 /), `:cmymessage.local 464 ${nick} :Password incorrect`);
  assert.match(await c.waitFor(/^ERROR /), /^ERROR :Closing link: 127\.0\.0\.1 \(Bad password\)$/);
  await c.closed;
  assert.deepEqual(unconsumed(c, / 001 /), [], "no welcome");
}

test("with irc.password set: no PASS gets 464 and the connection closes without a welcome", async (t) => {
  const fx = await setup(t, { irc: { password: hash } });
  const c = await fx.rawConnect();
  c.send("NICK pw");
  c.send("USER pw 0 * :Pass Word");
  await refused(c, "pw");
});

test("with irc.password set: a wrong PASS gets 464 and the connection closes, the rest of its lines unanswered", async (t) => {
  const fx = await setup(t, { irc: { password: hash } });
  const c = await fx.rawConnect();
  c.send("PASS :open sesame!");
  c.send("NICK pw");
  c.send("USER pw 0 * :Pass Word");
  await refused(c, "*");
});

test("with irc.password set: the right PASS registers; PASS after registration is 462", async (t) => {
  const fx = await setup(t, { irc: { password: hash } });
  const c = await fx.rawConnect();
  c.send("PASS :open sesame");
  c.send("NICK pw");
  c.send("USER pw 0 * :Pass Word");
  assert.match(await c.waitFor(/ 001 /), /^:cmymessage\.local 001 pw :Welcome/);
  await c.waitFor(/ 366 pw #general /);
  c.send("PASS :open sesame");
  assert.equal(await c.waitFor(/ 462 /), ":cmymessage.local 462 pw :You may not reregister");
  // With CAP negotiation too: PASS first, registration after CAP END.
  const d = await fx.rawConnect();
  d.send("CAP LS 302");
  d.send("PASS :open sesame");
  d.send("NICK pw2");
  d.send("USER pw2 0 * :Pass Word");
  d.send("CAP END");
  assert.match(await d.waitFor(/ 001 /), / 001 pw2 :Welcome/);
});

test("without irc.password: PASS is accepted and ignored, whatever it says", async (t) => {
  const fx = await setup(t);
  const c = await fx.rawConnect();
  c.send("PASS anything");
  c.send("NICK nopw");
  c.send("USER nopw 0 * :No Password");
  assert.match(await c.waitFor(/ 001 /), / 001 nopw :Welcome/);
  await rawSync(c);
  assert.deepEqual(unconsumed(c, / 464 /), []);
});

test("with irc.password set: guesses count in the login guard — after the lockout even the right PASS is refused from that address", async (t) => {
  // Before: 80 wrong guesses in 2 s from one address, each a 464, and the right one straight after got 001.
  const fx = await setup(t, { irc: { password: hash }, auth: { bruteForce: { backoffBaseSeconds: 0.01, backoffMaxSeconds: 0.02, accountAddressLockoutAfter: 3, lockoutSeconds: 60 } } });
  for (let i = 0; i < 3; i++) {
    const guess = await fx.rawConnect();
    guess.send(`PASS :guess ${i}`);
    guess.send(`NICK g${i}`);
    guess.send(`USER g${i} 0 * :Guess`);
    await refused(guess, "*");
    // Past the back-off (at most 0.02 s here): each guess is checked and counted, none refused before.
    await new Promise((done) => setTimeout(done, 100));
  }
  const right = await fx.rawConnect();
  right.send("PASS :open sesame");
  right.send("NICK rightful");
  right.send("USER rightful 0 * :Right");
  assert.match(await right.waitFor(/ 464 /), / 464 \* :Too many failed attempts; try again in \d+ (second|seconds|minute|minutes)$/);
  await right.closed;
  assert.deepEqual(unconsumed(right, / 001 /), [], "no welcome");
});
