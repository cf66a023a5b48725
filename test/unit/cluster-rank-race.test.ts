/**
 * A member's op and voice are two modes, each with the stamp of its own last change. Changed
 * at once on two nodes (a +v on one, a +o on the other, each made before hearing of the
 * other), both stay on every node and each node's members are shown both. With one stamp a
 * rank, the newer change took the older one back on the node that had made it, and the
 * members there, shown the +v, were never told.
 *
 * Two real ChatCores over a modelled pub/sub log, read by each node when the test says (the
 * multi-node suite test/integration/cluster-topic-race.test.ts plays it over Redis).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatCore } from "../../src/core/chat/chat-core.js";
import { TEST_CHAT_LIMITS } from "../support/chat-limits.js";
import type { AppliedModeChange, ChatEvent } from "../../src/core/chat/events.js";
import type { Session } from "../../src/core/chat/session.js";
import type { ChatUser } from "../../src/core/chat/user.js";
import { RedisBus } from "../../src/cluster/redis-bus.js";
import { decodeWire } from "../../src/cluster/wire.js";

class RecordingSession implements Session {
  static next = 0;
  readonly id = `s${RecordingSession.next++}`;
  readonly events: ChatEvent[] = [];
  deliver(event: ChatEvent): void {
    this.events.push(event);
  }
  close(): void {}

  /** The member changes of the MODE lines this session was shown, as `+v carol`. */
  memberModes(): string[] {
    const member = (change: AppliedModeChange): change is Extract<AppliedModeChange, { kind: "member" }> => change.kind === "member";
    return this.events.flatMap((event) => (event.type === "mode" ? event.changes.filter(member).map((change) => `${change.on ? "+" : "-"}${change.mode === "op" ? "o" : "v"} ${change.nick}`) : []));
  }
}

interface Node {
  readonly core: ChatCore;
  readonly bus: RedisBus;
  /** What the node sent that the other has not read yet. */
  readonly sent: string[];
}

/** Two nodes on one clock: stamps differ by the order things happen. */
function twoNodes(): [Node, Node] {
  let time = 1_000;
  const clock = (): number => time++;
  return (["a~1", "b~1"] as const).map((name) => {
    const sent: string[] = [];
    const bus = new RedisBus(name, { up: true, send: (_channel, text) => sent.push(text) });
    return { core: new ChatCore(TEST_CHAT_LIMITS, bus, clock), bus, sent };
  }) as [Node, Node];
}

/** `to` reads what `from` sent, as cluster-node.ts handles it; `edit` changes each text first (another version's sender). */
function read(from: Node, to: Node, edit: (text: string) => string = (text) => text): void {
  from.bus.flush();
  for (const text of from.sent.splice(0)) {
    for (const message of decodeWire(edit(text))) {
      if (message.k === "p") {
        const shown = to.core.replica.shown(message.p);
        if (shown) to.bus.receive(shown);
      } else if (message.k === "s") to.core.replica.apply(message.s, message.o);
    }
  }
}

function connect(node: Node, nick: string): { user: ChatUser; session: RecordingSession } {
  const session = new RecordingSession();
  const result = node.core.connect(session, { nick, username: nick, realname: nick, hostname: "h", address: "127.0.0.1", secure: false });
  assert.ok(result.ok);
  return { user: result.user, session };
}

/**
 * #r with alice (its operator) and dave on node a, bob (an operator too) and carol on node b;
 * then alice gives carol +v on a and bob gives her +o on b, neither node having read the other.
 */
function race(): { a: Node; b: Node; dave: RecordingSession; carol: RecordingSession } {
  const [a, b] = twoNodes();
  const alice = connect(a, "alice");
  const dave = connect(a, "dave");
  const bob = connect(b, "bob");
  const carol = connect(b, "carol");
  assert.ok(a.core.join(alice.user, "#r", undefined).ok);
  read(a, b);
  for (const { user } of [bob, carol]) assert.ok(b.core.join(user, "#r", undefined).ok);
  assert.ok(a.core.join(dave.user, "#r", undefined).ok);
  read(b, a);
  read(a, b);
  assert.ok(a.core.changeModes(alice.user, "#r", [{ kind: "member", mode: "op", on: true, nick: "bob" }]).ok);
  read(a, b);
  dave.session.events.length = 0;
  carol.session.events.length = 0;

  assert.deepEqual(a.core.changeModes(alice.user, "#r", [{ kind: "member", mode: "voice", on: true, nick: "carol" }]), { ok: true, applied: [{ kind: "member", mode: "voice", on: true, nick: "carol" }], errors: [] });
  assert.deepEqual(b.core.changeModes(bob.user, "#r", [{ kind: "member", mode: "op", on: true, nick: "carol" }]), { ok: true, applied: [{ kind: "member", mode: "op", on: true, nick: "carol" }], errors: [] });
  return { a, b, dave: dave.session, carol: carol.session };
}

/** carol's op and voice in #r as `node` holds them. */
function carolsRank(node: Node): { op: boolean; voice: boolean } {
  const channel = node.core.findChannel("#r")!;
  const carol = [...channel.members].find(([user]) => user.nick === "carol")!;
  return { op: carol[1].op, voice: carol[1].voice };
}

test("+v on one node and +o on another at once: every node keeps both, and the members on each are shown both", () => {
  const { a, b, dave, carol } = race();
  read(a, b);
  read(b, a);
  // Each node said its own state again (the other's lacked its change): read until quiet.
  read(a, b);
  read(b, a);

  for (const node of [a, b]) assert.deepEqual(carolsRank(node), { op: true, voice: true });
  assert.deepEqual(dave.memberModes(), ["+v carol", "+o carol"], "dave (node a) is shown both, as node a holds them");
  assert.deepEqual(carol.memberModes(), ["+o carol", "+v carol"], "carol (node b) is shown both, as node b holds them");
});

test("a rank's stamps apart travel beside ranks of the previous version's shape; a state without them (a node of the previous version) stands for both modes", () => {
  const { a, b } = race();
  b.bus.flush();
  const states = b.sent.flatMap((text) => decodeWire(text)).flatMap((message) => (message.k === "s" && message.s.op === "channel" ? [message.s.state] : []));
  assert.equal(states.length, 1);
  const state = states[0]!;
  // A node of the previous version checks each rank as a tuple of four, and drops a key it does not know.
  for (const rank of state.ranks) assert.equal(rank.length, 4);
  const carolId = b.core.findUser("carol")!.id;
  const [, , , newest] = state.ranks.find(([id]) => id === carolId)!;
  const [, opStamp, voiceStamp] = state.rankStamps!.find(([id]) => id === carolId)!;
  assert.deepEqual(newest, opStamp, "the rank's stamp is its newer part's, the op's");
  assert.ok(opStamp.time > voiceStamp.time);

  // Read as a node of the previous version sends it: one stamp a rank, taken for both modes.
  read(b, a, (text) => JSON.stringify(JSON.parse(text), (key, value: unknown) => (key === "rankStamps" ? undefined : value)));
  assert.deepEqual(carolsRank(a), { op: true, voice: false });
});
