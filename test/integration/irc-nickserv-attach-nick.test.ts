/**
 * NickServ IDENTIFY on a connection that then joins the account's online user (multiclient):
 * the connection is renamed to the account's nick (PART, NICK, JOIN), and the login's own
 * replies — NickServ's NOTICE and 900 — come after the rename and address the new nick,
 * labelled or not. (A labelled reply is written when the command ends, after the rename's
 * lines, which go at once: replies made before the rename read as addressed to a nick the
 * client no longer has.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import { exchange, type Line } from "../support/irc-lines.js";

const PASSWORD = "correct horse battery";

async function accountOnline(fx: AccountsFixture): Promise<void> {
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const { result } = await connectWithPlain(fx, "alice", "alice", PASSWORD);
  assert.match(result.raw, / 903 /);
}

/** The lines from the NICK that renames `from` to alice on: none of them may address `from`. */
function afterRename(lines: readonly Line[], from: string): Line[] {
  const nick = lines.findIndex((l) => l.command === "NICK" && l.source.startsWith(`${from}!`));
  assert.notEqual(nick, -1, `renamed:\n${lines.map((l) => l.raw).join("\n")}`);
  assert.equal(lines[nick]!.params[0], "alice");
  return lines.slice(nick + 1);
}

function assertAddressAlice(lines: readonly Line[], label: string | null): void {
  const all = lines.map((l) => l.raw).join("\n");
  const notice = lines.filter((l) => l.command === "NOTICE" && l.source.startsWith("NickServ!"));
  assert.deepEqual(notice.map((l) => l.params), [["alice", "You are now logged in as alice."]], all);
  const loggedIn = lines.filter((l) => l.command === "900");
  assert.deepEqual(loggedIn.map((l) => l.params), [["alice", "alice!~alice@127.0.0.1", "alice", "You are now logged in as alice"]], all);
  for (const line of lines) {
    if (/^\d{3}$/.test(line.command) || line.command === "NOTICE") assert.equal(line.params[0], "alice", `addressed to alice: ${line.raw}`);
  }
  if (label !== null) assert.ok(lines.some((l) => l.tags.get("label") === label), `the label comes after the rename:\n${all}`);
}

test("a labelled NickServ IDENTIFY that joins the account's online user: its NOTICE and 900 address the new nick", async (t) => {
  const fx = await openFixture(t);
  await accountOnline(fx);
  const guest = await fx.raw("guestz", { caps: ["labeled-response", "batch", "message-tags"] });
  const lines = await exchange(guest, `@label=id1 PRIVMSG NickServ :IDENTIFY alice ${PASSWORD}`);
  assertAddressAlice(afterRename(lines, "guestz"), "id1");
});

test("an unlabelled NickServ IDENTIFY that joins the account's online user: NOTICE and 900 follow the NICK, to the new nick", async (t) => {
  const fx = await openFixture(t);
  await accountOnline(fx);
  const guest = await fx.raw("guesty");
  const lines = await exchange(guest, `PRIVMSG NickServ :IDENTIFY alice ${PASSWORD}`);
  assertAddressAlice(afterRename(lines, "guesty"), null);
});
