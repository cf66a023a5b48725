/**
 * CHATHISTORY takes a `timestamp=` reference only in the spec's format,
 * YYYY-MM-DDThh:mm:ss.sssZ (as MARKREAD does): a bare year, a number, a time
 * without its zone (which Date.parse reads in the server's own zone), another
 * zone's offset or a date not in the calendar is FAIL CHATHISTORY INVALID_PARAMS
 * in every subcommand. A limit of any number of digits above CHATHISTORY=100
 * is capped at 100. MARKREAD, which shares the parser, refuses a date off the
 * calendar too.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { chathistory, exchange, HISTORY_CAPS, say, texts, type HistoryReply } from "../support/irc-lines.js";
import { registerAccount } from "../support/sasl.js";

const scope = suiteScope();
let fx: AccountsFixture;
let reader: RawClient;
const CHANNEL = "#stamps";
const TEXTS = ["one", "two", "three"];

before(async () => {
  fx = await openFixture(scope);
  reader = await fx.raw("reader", { caps: HISTORY_CAPS });
  reader.send(`JOIN ${CHANNEL}`);
  await reader.waitFor(new RegExp(` 366 reader ${CHANNEL} `));
  for (const text of TEXTS) await say(reader, CHANNEL, text);
});
after(() => scope.run());

const history = (args: string): Promise<HistoryReply> => chathistory(reader, args);

function assertInvalidParams(reply: HistoryReply, args: string): void {
  assert.equal(reply.ok, false, `${args} was answered with messages`);
  if (!reply.ok) assert.deepEqual(reply.fail.params.slice(0, 3), ["CHATHISTORY", "INVALID_PARAMS", args.split(" ")[0]], `${args}: ${reply.fail.raw}`);
}

/** Not YYYY-MM-DDThh:mm:ss.sssZ, though Date.parse reads each as some time. */
const NOT_SPEC_TIMES = [
  "2030",
  "1",
  "2026-12-07",
  "2026-12-07T12:34:03.804",
  "2026-12-07T12:34:03Z",
  "2026-12-07T12:34:03.8Z",
  "2026-12-07T12:34:03.804+00:00",
  "2026-12-07 12:34:03.804Z",
  "2026-12-07t12:34:03.804z",
  "Mon, 07 Dec 2026 12:34:03 GMT",
  "2026-02-30T00:00:00.000Z",
  "2026-12-07T24:00:00.000Z",
  "+002026-12-07T12:34:03.804Z",
];

test("a timestamp= reference not in the spec's format is INVALID_PARAMS in every subcommand", async () => {
  for (const time of NOT_SPEC_TIMES) {
    const ref = `timestamp=${time}`;
    const spec = "timestamp=2020-01-01T00:00:00.000Z";
    for (const args of [
      `BEFORE ${CHANNEL} ${ref} 2`,
      `AFTER ${CHANNEL} ${ref} 2`,
      `AROUND ${CHANNEL} ${ref} 2`,
      `LATEST ${CHANNEL} ${ref} 2`,
      `BETWEEN ${CHANNEL} ${ref} ${spec} 2`,
      `BETWEEN ${CHANNEL} ${spec} ${ref} 2`,
      `TARGETS ${ref} ${spec} 2`,
      `TARGETS ${spec} ${ref} 2`,
    ]) {
      assertInvalidParams(await history(args), args);
    }
  }
});

test("a timestamp= reference in the spec's format is read as UTC", async () => {
  assert.deepEqual(texts(await history(`BEFORE ${CHANNEL} timestamp=2099-12-31T23:59:59.999Z 2`)), TEXTS.slice(1));
  assert.deepEqual(texts(await history(`AFTER ${CHANNEL} timestamp=2000-01-01T00:00:00.000Z 2`)), TEXTS.slice(0, 2));
  assert.deepEqual(texts(await history(`BETWEEN ${CHANNEL} timestamp=2000-01-01T00:00:00.000Z timestamp=2099-12-31T23:59:59.999Z 5`)), TEXTS);
  // A leap day is a day of the calendar.
  assert.deepEqual(texts(await history(`BEFORE ${CHANNEL} timestamp=2024-02-29T12:00:00.000Z 2`)), []);
});

test("a limit of any number of digits is capped at CHATHISTORY=100; zero, signs and exponents are INVALID_PARAMS", async () => {
  for (const limit of ["100", "101", "999999", "1000000", "99999999999999999999999"]) {
    assert.deepEqual(texts(await history(`LATEST ${CHANNEL} * ${limit}`)), TEXTS, `limit ${limit}`);
  }
  for (const limit of ["0", "000", "-1", "+5", "1e3", "5.0", "0x10"]) {
    const args = `LATEST ${CHANNEL} * ${limit}`;
    assertInvalidParams(await history(args), args);
  }
});

test("MARKREAD, with the same parser, refuses a date off the calendar and takes a leap day", async () => {
  const marker = await registerAccount(fx, "marker", "markers-password", { caps: ["draft/read-marker"] });
  const refused = await exchange(marker, "MARKREAD #general timestamp=2026-02-30T00:00:00.000Z");
  assert.deepEqual(refused.find((line) => line.command === "FAIL")?.params.slice(0, 3), ["MARKREAD", "INVALID_PARAMS", "timestamp=2026-02-30T00:00:00.000Z"]);
  const taken = await exchange(marker, "MARKREAD #general timestamp=2024-02-29T00:00:00.000Z");
  assert.deepEqual(taken.find((line) => line.command === "MARKREAD")?.params, ["#general", "timestamp=2024-02-29T00:00:00.000Z"]);
});
