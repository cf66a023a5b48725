/**
 * One e-mail rule for every door: isValidEmail (IRC REGISTER, NickServ) takes exactly the
 * addresses the HTTP API's registration schema takes, checked against Fastify's own
 * validation of that schema (so an upgrade of its format rule shows here), and the names
 * nick enforcement gives guests are refused as account names with their own reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { pino } from "pino";
import { registerBody } from "../../src/http/schemas.js";
import { AccountService, GUEST_NICK, isValidEmail, MAX_EMAIL_LENGTH } from "../../src/core/accounts/account-service.js";
import type { AccountStore } from "../../src/core/accounts/ports.js";
import type { LoginGuard } from "../../src/core/accounts/login-guard.js";

const SAMPLES = [
  "a@b.co",
  "first.last+tag@sub.example.org",
  "o'neil@example.org",
  "notanemail",
  "a@b",
  "a@localhost",
  "a b@example.org",
  "a@@example.org",
  "@example.org",
  "a@",
  ".a@example.org",
  "a..b@example.org",
  "a@-example.org",
  "a@example-.org",
  "é@example.org",
  "a@exämple.org",
  "A@EXAMPLE.ORG",
  "a@example.org\n",
  `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.org`,
  `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.org`,
];

test("isValidEmail takes exactly what the HTTP registration schema takes (format email, at most 254 characters)", async (t) => {
  const app = Fastify({ ajv: { customOptions: { coerceTypes: true } } });
  t.after(() => app.close());
  app.post("/", { schema: { body: registerBody } }, async () => ({ ok: true }));
  await app.ready();
  assert.equal(SAMPLES.at(-2)!.length, MAX_EMAIL_LENGTH);
  for (const email of SAMPLES) {
    const reply = await app.inject({ method: "POST", url: "/", payload: { name: "someone", password: "a long enough password", email } });
    assert.equal(isValidEmail(email), reply.statusCode === 200, `${JSON.stringify(email)}: HTTP ${reply.statusCode}`);
  }
  assert.equal(isValidEmail("a@b.co"), true);
  assert.equal(isValidEmail(SAMPLES.at(-1)!), false, "255 characters");
});

test("account names: Guest<digits> in any case is refused as a guest's name, service names as reserved, others by the nick rules", () => {
  const accounts = new AccountService(
    {} as AccountStore,
    {} as LoginGuard,
    { nameLength: 30, scramIterations: 0, password: { minBytes: 8, rejectCommon: false }, selfRegistration: true, registrationsPerAddressPerHour: 0 },
    pino({ level: "silent" }),
  );
  for (const name of ["Guest12345", "guest1", "GUEST0", "Guest0123456789"]) {
    assert.ok(GUEST_NICK.test(name), name);
    assert.equal(accounts.nameProblem(name), "guest-nick", name);
    assert.match(accounts.nameProblemText(name) ?? "", /Guest followed by digits/);
  }
  for (const name of ["Guest", "Guest12345x", "Guestbook", "xGuest1", "Guest-1"]) assert.equal(accounts.nameProblem(name), null, name);
  assert.equal(accounts.nameProblem("NickServ"), "reserved");
  assert.equal(accounts.nameProblem("nickserv"), "reserved");
  assert.match(accounts.nameProblemText("ChanServ") ?? "", /reserved for a service/);
  assert.equal(accounts.nameProblem("9lives"), "nick-rules");
  assert.equal(accounts.nameProblem("a".repeat(31)), "nick-rules");
  assert.match(accounts.nameProblemText("bad!name") ?? "", /^Account names follow the nick rules: at most 30 characters/);
  assert.equal(accounts.nameProblemText("alice"), null);
  // A DM to an account made before the rule still names a valid account.
  assert.equal(accounts.isValidName("Guest12345"), true);
});
