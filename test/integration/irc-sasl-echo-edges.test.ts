/**
 * Edges of SASL and echo-message found by a tester, driven with raw clients: a command
 * to a service echoed to the sending connection only, an AUTHENTICATE line over 400
 * bytes (905), and registration completed in the middle of an exchange (906).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture } from "../support/account-server.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import { exchange, nickOf, SERVER_TIME, textOf, type Line } from "../support/irc-lines.js";
import { connectWithPlain, plainPayload, registerAccount, saslPlain, sendAuthenticateData, startMechanism } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery";

/** The lines of the labelled reply `label` (a BATCH's content, or the one labelled line). */
function labelledReply(lines: readonly Line[], label: string): Line[] {
  const opening = lines.find((l) => l.tags.get("label") === label);
  assert.ok(opening, `no reply labelled ${label}:\n${lines.map((l) => l.raw).join("\n")}`);
  if (opening.command !== "BATCH") return [opening];
  assert.equal(opening.params[1], "labeled-response");
  const ref = opening.params[0]!.slice(1);
  assert.ok(
    lines.some((l) => l.command === "BATCH" && l.params[0] === `-${ref}`),
    "the batch is closed",
  );
  return lines.filter((l) => l.tags.get("batch") === ref);
}

test("PRIVMSG to NickServ with echo-message: the labelled reply starts with the echo (time, msgid); other connections and history get nothing", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const caps = ["echo-message", "labeled-response", "batch", "server-time", "message-tags"];
  const first = (await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps: [...caps, "draft/chathistory"] })).client;
  const second = (await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps })).client;
  await rawSync(first);

  const reply = labelledReply(await exchange(first, "@label=n1 PRIVMSG NickServ :INFO"), "n1");
  const echo = reply[0]!;
  assert.equal(echo.command, "PRIVMSG", `the echo comes first:\n${reply.map((l) => l.raw).join("\n")}`);
  assert.equal(nickOf(echo), "alice");
  assert.deepEqual(echo.params, ["NickServ", "INFO"]);
  assert.match(echo.tags.get("time") ?? "", SERVER_TIME);
  assert.ok(echo.tags.get("msgid"), "the echo carries a msgid like every other echo");
  const answers = reply.slice(1);
  assert.ok(answers.length > 0, "NickServ still answers");
  for (const answer of answers) {
    assert.equal(answer.command, "NOTICE");
    assert.equal(nickOf(answer), "NickServ");
  }

  // A command that holds a password: echoed to the connection that typed it, shown nowhere else.
  const identify = await exchange(first, `PRIVMSG NickServ :IDENTIFY alice ${PASSWORD}`);
  assert.deepEqual(
    identify.filter((l) => l.command === "PRIVMSG").map((l) => [nickOf(l), ...l.params]),
    [["alice", "NickServ", `IDENTIFY alice ${PASSWORD}`]],
  );
  await rawSync(second);
  assert.deepEqual(unconsumed(second, /NickServ/i), [], "the user's other connection sees neither the commands nor the answers");

  const history = await exchange(first, "CHATHISTORY LATEST NickServ * 10");
  assert.deepEqual(
    history.filter((l) => l.command === "PRIVMSG" || l.command === "NOTICE").map(textOf),
    [],
    "nothing sent to a service is kept",
  );

  // Without echo-message there is no echo, only the answer.
  const plain = await fx.raw("bob");
  const answer = await exchange(plain, "PRIVMSG NickServ :INFO");
  assert.deepEqual(
    answer.filter((l) => l.command === "PRIVMSG"),
    [],
  );
  assert.ok(answer.some((l) => l.command === "NOTICE" && nickOf(l) === "NickServ"));
});

test("SASL: an AUTHENTICATE line longer than 400 bytes gets 905 and ends the exchange; the next exchange works", async (t) => {
  const fx = await openFixture(t);
  // NUL + name + NUL + password = 306 bytes → 408 base64 characters.
  const password = "p".repeat(300);
  await registerAccount(fx, "gina", password, { quit: true });
  const payload = plainPayload("gina", password);
  assert.equal(payload.length, 408);

  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  await c.waitFor(/ CAP \S+ ACK /);
  assert.deepEqual(await startMechanism(c, "PLAIN"), { data: "+" });
  // The whole payload on one line, not split into 400-byte chunks as the spec says.
  c.send(`AUTHENTICATE ${payload}`);
  assert.equal(await c.waitFor(/ 90[3-7] /), ":cmymessage.local 905 * :SASL message too long");
  await rawSync(c);
  assert.deepEqual(unconsumed(c, / (900|903) /), [], "the over-long line did not log in");

  c.lines.length = 0;
  assert.deepEqual(await startMechanism(c, "PLAIN"), { data: "+" }, "the aborted exchange is gone: a new one starts");
  sendAuthenticateData(c, payload);
  assert.equal((await c.waitFor(/ 90[3-7] /)).split(" ")[1], "903");
});

/** Registers `nick` with an AUTHENTICATE PLAIN exchange left open; `finish` is the line that completes registration. */
async function registerDuringSasl(c: RawClient, nick: string, finish: "CAP END" | "USER"): Promise<void> {
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  await c.waitFor(/ CAP \S+ ACK /);
  c.send(`NICK ${nick}`);
  if (finish === "USER") c.send("CAP END");
  else c.send(`USER ${nick} 0 * :${nick}`);
  assert.deepEqual(await startMechanism(c, "PLAIN"), { data: "+" });
  await rawSync(c);
  c.lines.length = 0;
  c.send(finish === "USER" ? `USER ${nick} 0 * :${nick}` : "CAP END");
  await c.waitFor(/ (376|422) /);
}

for (const finish of ["CAP END", "USER"] as const) {
  test(`SASL: registration completed by ${finish} during an exchange aborts it with 906 before 001, and the exchange never logs in`, async (t) => {
    const fx = await openFixture(t);
    await registerAccount(fx, "frank", PASSWORD, { quit: true });
    const c = await fx.rawConnect();
    await registerDuringSasl(c, "frank", finish);

    const aborted = c.lines.findIndex((l) => / 906 /.test(l));
    assert.equal(c.lines[aborted], ":cmymessage.local 906 frank :SASL authentication aborted", `no 906:\n${c.lines.join("\n")}`);
    assert.ok(aborted < c.lines.findIndex((l) => / 001 /.test(l)), "906 comes before the welcome");

    // The rest of the abandoned exchange is no longer an exchange: its data is taken for the
    // name of a new one's mechanism, and refused as that. "No 900/903" alone would also hold
    // if the exchange were still open and its step merely failed.
    const payload = plainPayload("frank", PASSWORD);
    c.lines.length = 0;
    sendAuthenticateData(c, payload);
    await rawSync(c);
    assert.deepEqual(
      unconsumed(c, / 9\d\d /).map((line) => line.replace(/ 908 frank \S+ /, " 908 frank <mechanisms> ")),
      [":cmymessage.local 908 frank <mechanisms> :are available SASL mechanisms", `:cmymessage.local 904 frank :SASL authentication failed: ${payload.toUpperCase()} is not supported`],
      "the leftover data starts no login",
    );
    c.send("WHOIS frank");
    await c.waitFor(/ 318 /);
    assert.deepEqual(unconsumed(c, / 330 /), [], "frank is not logged in");

    // A new exchange after registration works as ever.
    c.lines.length = 0;
    assert.equal((await saslPlain(c, "frank", PASSWORD)).command, "903");
  });
}
