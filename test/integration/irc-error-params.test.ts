/**
 * Error numerics repeat what the client gave as a middle parameter; a word with a space or
 * a leading ':' (sent as the client's trailing parameter) cannot stand there, so it is
 * written as `*` (as Ergo does): the line keeps its parameter count and the reply text
 * stays the reply text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange } from "../support/irc-lines.js";

/** Every reply to `line` but the PONG of the exchange, raw. */
async function replies(client: RawClient, line: string): Promise<string[]> {
  return (await exchange(client, line)).filter((l) => l.command !== "PONG").map((l) => l.raw);
}

test("an error numeric repeating a parameter with a space or a leading ':' writes '*' in its place", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("gban");
  const cases: Array<[string, string[]]> = [
    ["WHOIS ::x", [":cmymessage.local 401 gban * :No such nick/channel", ":cmymessage.local 318 gban * :End of /WHOIS list."]],
    ["NICK :a b", [":cmymessage.local 432 gban * :Erroneous nickname"]],
    ["NICK ::x", [":cmymessage.local 432 gban * :Erroneous nickname"]],
    ["JOIN :#a b", [":cmymessage.local 476 gban * :Bad Channel Mask"]],
    ["TOPIC :#a b", [":cmymessage.local 403 gban * :No such channel"]],
    ["KICK #general :a b", [":cmymessage.local 401 gban * :No such nick/channel"]],
    ["WHO :a b", [":cmymessage.local 315 gban * :End of WHO list"]],
    ["WHOWAS :a b", [":cmymessage.local 406 gban * :There was no such nickname", ":cmymessage.local 369 gban * :End of WHOWAS"]],
  ];
  for (const [sent, expected] of cases) assert.deepEqual(await replies(c, sent), expected, sent);
});

test("a word that can stand as a middle parameter is still repeated as given", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("gplain");
  assert.deepEqual(await replies(c, "WHOIS no:body"), [
    ":cmymessage.local 401 gplain no:body :No such nick/channel",
    ":cmymessage.local 318 gplain no:body :End of /WHOIS list.",
  ]);
  assert.deepEqual(await replies(c, "TOPIC #nowhere"), [":cmymessage.local 403 gplain #nowhere :No such channel"]);
  // 696 repeats a refused mode parameter the same way.
  assert.deepEqual(await replies(c, "MODE #general +k :a:b"), [":cmymessage.local 696 gplain #general k a:b :Missing or invalid parameter"]);
  assert.deepEqual(await replies(c, "MODE #general +k ::ab"), [":cmymessage.local 696 gplain #general k * :Missing or invalid parameter"]);
});
