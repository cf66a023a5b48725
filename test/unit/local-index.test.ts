/**
 * The local index hands a publication addressed to users to each named user's sessions
 * once, however often the list names them (short lists are checked without a Set, long
 * ones with one), and not to the originating session when told to skip it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalIndex, type LocalState } from "../../src/core/chat/local-index.js";
import { ChatUser } from "../../src/core/chat/user.js";
import type { Session } from "../../src/core/chat/session.js";
import type { ChatEvent, MessageEvent } from "../../src/core/chat/events.js";

function recordingSession(id: string, log: string[]): Session {
  return { id, deliver: (event: ChatEvent) => log.push(`${id}:${event.type}`), close: () => {} };
}

function world(userCount: number): { index: LocalIndex; log: string[]; users: ChatUser[] } {
  const log: string[] = [];
  const users = Array.from({ length: userCount }, (_, i) => {
    const user = new ChatUser(`u${i}`, `nick${i}`, "~user", "real", "127.0.0.1", "127.0.0.1", false, 0);
    user.addSession(recordingSession(`s${i}`, log));
    return user;
  });
  const byId = new Map(users.map((user) => [user.id, user]));
  const state: LocalState = {
    channel: () => undefined,
    userById: (id) => byId.get(id),
    usersOfAccount: () => [],
    allUsers: () => users,
    watchersOf: () => [],
  };
  return { index: new LocalIndex(state), log, users };
}

const message = (users: readonly ChatUser[]): MessageEvent => ({
  type: "message",
  kind: "privmsg",
  from: users[0]!.origin,
  target: users[1]?.nick ?? users[0]!.nick,
  text: "hello",
  tags: null,
  msgid: "m1",
  time: 1,
});

for (const [what, ids] of [
  ["a direct message (two users)", ["u1", "u0"]],
  ["the first user named again last", ["u0", "u1", "u0"]],
  ["a user named twice in a row", ["u1", "u1", "u0"]],
  ["a long list with repeats", ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u3", "u0", "u9"]],
  ["an unknown id among them", ["u2", "nobody", "u2"]],
] as const) {
  test(`users scope, ${what}: each named user's session gets the event once`, () => {
    const { index, log, users } = world(10);
    index.deliverLocal({ scope: { kind: "users", users: ids }, event: message(users), fromSession: null, skipOrigin: false });
    const expected = [...new Set(ids)].filter((id) => id !== "nobody").map((id) => `s${id.slice(1)}:message`);
    assert.deepEqual(log, expected);
  });
}

test("users scope: the originating session is skipped when asked, and only then", () => {
  const { index, log, users } = world(2);
  index.deliverLocal({ scope: { kind: "users", users: ["u1", "u0"] }, event: message(users), fromSession: "s0", skipOrigin: true });
  assert.deepEqual(log, ["s1:message"]);
  log.length = 0;
  index.deliverLocal({ scope: { kind: "users", users: ["u1", "u0"] }, event: message(users), fromSession: "s0", skipOrigin: false });
  assert.deepEqual(log, ["s1:message", "s0:message"]);
});
