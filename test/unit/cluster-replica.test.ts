/**
 * Nodes of a cluster converge: whatever users on three nodes do at the same moments
 * (joins, parts, kicks, nick changes, topics, modes, quits), once every node has read
 * what the others sent, all three hold the same users and channels, and every session
 * has been shown a channel's members exactly as its node holds them.
 *
 * The transport is Redis pub/sub's one guarantee, modelled exactly: one log of
 * publications in the order Redis took them, which every node reads in that order at
 * its own pace. The nodes are the real ChatCore, RedisBus and Replica; the Redis wire
 * itself is exercised by the multi-node suites in test/cluster/.
 *
 * Known race, not fixed (docs/operations.md): a channel empties on one node while a node
 * that has not yet read that creates it afresh; the lagging node may keep the old
 * channel's topic or modes on the new one, the others not. It takes a lag between the two
 * and both at the same moment; with CMY_REPLICA_SEED=random and CMY_REPLICA_RUNS=20000
 * it shows up about once in 5,000 schedules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ChatCore } from "../../src/core/chat/chat-core.js";
import { TEST_CHAT_LIMITS } from "../support/chat-limits.js";
import type { ChatEvent } from "../../src/core/chat/events.js";
import type { Session } from "../../src/core/chat/session.js";
import type { ChatUser } from "../../src/core/chat/user.js";
import { RedisBus } from "../../src/cluster/redis-bus.js";
import { STATE_CHANNEL, decodeWire, nodeChannel } from "../../src/cluster/wire.js";

const limits = TEST_CHAT_LIMITS;

/** What one session was shown of each channel: member ids, from its NAMES at join and the events since. */
class ViewingSession implements Session {
  static next = 0;
  readonly id = `s${ViewingSession.next++}`;
  readonly views = new Map<string, Set<string>>();
  /** Nick → user id, as this session learnt them. */
  readonly nicks = new Map<string, string>();
  user: ChatUser | null = null;
  closed = false;

  deliver(event: ChatEvent): void {
    const fold = (name: string): string => name.toLowerCase();
    switch (event.type) {
      case "join":
        this.nicks.set(fold(event.from.nick), event.from.id);
        if (event.from.id === this.user?.id) return; // its own JOIN: the NAMES taken by the test says who is there
        this.views.get(fold(event.channel))?.add(event.from.id);
        return;
      case "part":
        if (event.from.id === this.user?.id) this.views.delete(fold(event.channel));
        else this.views.get(fold(event.channel))?.delete(event.from.id);
        return;
      case "kick": {
        const id = this.nicks.get(fold(event.target));
        if (id === this.user?.id) this.views.delete(fold(event.channel));
        else if (id !== undefined) this.views.get(fold(event.channel))?.delete(id);
        return;
      }
      case "quit":
        for (const view of this.views.values()) view.delete(event.from.id);
        return;
      case "nick":
        this.nicks.delete(fold(event.from.nick));
        this.nicks.set(fold(event.nick), event.from.id);
        return;
      default:
        return;
    }
  }

  close(): void {
    this.closed = true;
  }
}

interface Node {
  readonly name: string;
  readonly core: ChatCore;
  readonly bus: RedisBus;
  /** How far this node has read the log. */
  cursor: number;
  readonly sessions: ViewingSession[];
}

/** Redis pub/sub as the nodes see it: one log in publish order. */
class PubSubLog {
  readonly entries: Array<{ readonly channel: string; readonly text: string }> = [];
}

function makeNode(name: string, log: PubSubLog, clock: () => number): Node {
  const bus = new RedisBus(name, { up: true, send: (channel, text) => log.entries.push({ channel, text }) });
  const core = new ChatCore(limits, bus, clock);
  return { name, core, bus, cursor: 0, sessions: [] };
}

/** The node reads one more entry of the log (what its subscriber connection would be handed). */
function readOne(node: Node, log: PubSubLog): void {
  const entry = log.entries[node.cursor++]!;
  if (entry.channel !== STATE_CHANNEL && entry.channel !== nodeChannel(node.name)) return;
  for (const message of decodeWire(entry.text)) {
    if (message.o === node.name) continue;
    if (message.k === "p") node.bus.receive(message.p);
    else if (message.k === "s") node.core.replica.apply(message.s, message.o);
  }
}

type Action =
  | { readonly kind: "connect"; readonly node: number }
  | { readonly kind: "join" | "part"; readonly node: number; readonly user: number; readonly channel: number }
  | { readonly kind: "kick" | "op" | "deop"; readonly node: number; readonly user: number; readonly target: number; readonly channel: number }
  | { readonly kind: "nick" | "quit"; readonly node: number; readonly user: number }
  | { readonly kind: "topic" | "limit"; readonly node: number; readonly user: number; readonly channel: number; readonly value: number }
  | { readonly kind: "read"; readonly node: number; readonly count: number };

const CHANNELS = ["#a", "#b"];
const index = fc.nat(20);
const node = fc.nat(2);
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("connect" as const), node }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constantFrom("join" as const, "part" as const), node, user: index, channel: fc.nat(1) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constantFrom("kick" as const, "op" as const, "deop" as const), node, user: index, target: index, channel: fc.nat(1) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constantFrom("nick" as const, "quit" as const), node, user: index }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constantFrom("topic" as const, "limit" as const), node, user: index, channel: fc.nat(1), value: fc.nat(5) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("read" as const), node, count: fc.integer({ min: 1, max: 6 }) }), weight: 6 },
);

/** Runs a user's command on its node, as the IRC adapter would, with NAMES taken on join. */
function run(nodes: Node[], log: PubSubLog, a: Action, names: { next: number }): void {
  const n = nodes[a.node]!;
  if (a.kind === "read") {
    for (let i = 0; i < a.count && n.cursor < log.entries.length; i++) {
      readOne(n, log);
      // Each Redis message is one job on the receiving node.
      n.bus.flush();
    }
    return;
  }
  if (a.kind === "connect") {
    const session = new ViewingSession();
    // Nicks are unique by construction: which node wins a nick is Redis's business (the multi-node suites).
    const result = n.core.connect(session, { nick: `${n.name}u${names.next++}`, username: "u", realname: "r", hostname: "h", address: "127.0.0.1", secure: false });
    assert.ok(result.ok);
    session.user = result.user;
    n.sessions.push(session);
    return;
  }
  const live = n.sessions.filter((s) => !s.closed && s.user && n.core.isOnline(s.user));
  if (live.length === 0) return;
  const session = live[a.user % live.length]!;
  const user = session.user!;
  const channelName = "channel" in a ? CHANNELS[a.channel]! : "#a";
  switch (a.kind) {
    case "join": {
      const result = n.core.join(user, channelName, undefined, session.id);
      if (result.ok && !result.alreadyMember) {
        const others = [...result.channel.members.keys()].filter((m) => m !== user);
        session.views.set(result.channel.folded, new Set(others.map((m) => m.id)));
        for (const member of others) session.nicks.set(member.nick.toLowerCase(), member.id);
      }
      return;
    }
    case "part":
      n.core.part(user, channelName, "bye");
      return;
    case "kick":
    case "op":
    case "deop": {
      const channel = n.core.findChannel(channelName);
      if (!channel) return;
      const members = [...channel.members.keys()];
      const target = members[a.target % members.length]!;
      if (a.kind === "kick") n.core.kick(user, channelName, target.nick, "out");
      else n.core.changeModes(user, channelName, [{ kind: "member", mode: "op", on: a.kind === "op", nick: target.nick }]);
      return;
    }
    case "nick":
      n.core.changeNick(user, `${n.name}u${names.next++}`);
      return;
    case "quit":
      n.core.quit(user, "gone");
      session.closed = true;
      return;
    case "topic":
      n.core.setTopic(user, channelName, `topic ${a.value}`);
      return;
    case "limit":
      n.core.changeModes(user, channelName, [{ kind: "limit", on: a.value > 0, limit: a.value + 1 }]);
      return;
  }
}

/** What a node holds, in a form to compare across nodes. */
function state(n: Node): unknown {
  const users = [...n.core.users()].map((u) => [u.id, u.nick]).sort();
  const channels = [...n.core.channels()]
    .map((c) => ({
      name: c.folded,
      topic: c.topic?.text ?? null,
      limit: c.limit,
      members: [...c.members].map(([m, r]) => [m.id, r.op, r.voice]).sort(),
    }))
    .sort((x, y) => x.name.localeCompare(y.name));
  return { users, channels };
}

test("three nodes reading one pub/sub log converge on users, channels, modes and topics, and every session saw its channels' members as its node holds them", () => {
  fc.assert(
    fc.property(fc.array(action, { minLength: 10, maxLength: 120 }), (actions) => {
      const log = new PubSubLog();
      let time = 1_000;
      // One clock for all: stamps differ by the order things happen, as they do across NTP-synchronised nodes.
      const clock = (): number => time++;
      const nodes = ["n0", "n1", "n2"].map((name) => makeNode(name, log, clock));
      const names = { next: 0 };
      for (const a of actions) {
        run(nodes, log, a, names);
        // A command is one job: what it sent for every node leaves when it ends.
        for (const n of nodes) n.bus.flush();
      }
      // Reading can make a node send (a kick of its user asked for elsewhere, a state it holds newer): read until quiet.
      while (nodes.some((n) => n.cursor < log.entries.length)) {
        for (const n of nodes) {
          while (n.cursor < log.entries.length) readOne(n, log);
          n.bus.flush();
        }
      }

      const [first, ...rest] = nodes.map(state);
      for (const other of rest) assert.deepEqual(other, first);
      for (const n of nodes) {
        for (const session of n.sessions) {
          if (session.closed || !session.user || !n.core.isOnline(session.user)) continue;
          for (const channel of session.user.channels.values()) {
            const shown = session.views.get(channel.folded) ?? new Set();
            const held = new Set([...channel.members.keys()].map((m) => m.id).filter((id) => id !== session.user!.id));
            assert.deepEqual([...shown].sort(), [...held].sort(), `${n.name}'s session of ${session.user.nick} in ${channel.name}`);
          }
        }
      }
    }),
    {
      numRuns: Number(process.env.CMY_REPLICA_RUNS ?? 300),
      includeErrorInReport: true,
      // A fixed seed by default: one known race (see the top of this file) shows up in about one
      // schedule in 5,000, and CI must not fail by chance. CMY_REPLICA_SEED=random explores.
      ...(process.env.CMY_REPLICA_SEED === "random" ? {} : { seed: Number(process.env.CMY_REPLICA_SEED ?? 20261205) }),
      ...(process.env.CMY_REPLICA_PATH ? { path: process.env.CMY_REPLICA_PATH, endOnFailure: true } : {}),
    },
  );
});
