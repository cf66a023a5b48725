/**
 * Nick ownership in Redis against a real Redis, with the real ClusterNode and ChatCore in
 * this process (no IRC or database needed): what a node holds in `cmy:nicks` follows its
 * users even when Redis was away while they changed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { pino } from "pino";
import { ChatCore } from "../../src/core/chat/chat-core.js";
import { TEST_CHAT_LIMITS } from "../support/chat-limits.js";
import type { ChatEvent } from "../../src/core/chat/events.js";
import type { Session } from "../../src/core/chat/session.js";
import { ClusterNode } from "../../src/cluster/cluster-node.js";
import { NICKS_KEY } from "../../src/cluster/wire.js";
import { gatedSuite } from "../support/gated-suite.js";
import { findOnPath, startRedis, REQUIRE_CLUSTER_ENV, teardownOf } from "../support/cluster.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait.js";

const limits = TEST_CHAT_LIMITS;

class QuietSession implements Session {
  static next = 0;
  readonly id = `s${QuietSession.next++}`;
  deliver(_event: ChatEvent): void {}
  close(): void {}
}

/** Long enough that nobody gives the node up during the short cut the test makes. */
const NODE_TIMEOUT_SECONDS = 30;

gatedSuite(
  "cluster nick claims in Redis",
  [{ reason: findOnPath("redis-server") ? null : "the Redis suite did not run: redis-server is not on PATH (Debian package redis-server)", requireEnv: REQUIRE_CLUSTER_ENV }],
  () => {
    test("a nick given up while Redis was away is free in Redis once the node is back", async (t) => {
      const teardown = teardownOf(t);
      t.after(() => teardown.run());
      const redis = await startRedis(teardown);
      const proxy = await TcpProxy.start(redis.host, redis.port);
      teardown.add("closing the proxy", () => proxy.close());
      const direct = new Redis(redis.url, { lazyConnect: true });
      await direct.connect();
      teardown.add("closing the test's Redis client", () => void direct.disconnect());

      const log = pino({ level: "silent" });
      const start = async (name: string, url: string): Promise<{ node: ClusterNode; core: ChatCore }> => {
        const node = new ClusterNode({ redisUrl: url, name, nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS, log });
        const core = new ChatCore(limits, node.bus);
        teardown.add(`stopping node ${name}`, () => node.stop());
        await node.start(core);
        await waitFor(() => node.connected, { what: `node ${name} joined` });
        return { node, core };
      };
      const a = await start("a", `redis://${redis.host}:${proxy.port}`);
      const b = await start("b", redis.url);

      // As registration does: claim, then enter the chat.
      assert.equal(await a.node.nicks.claim("alice"), "ok");
      const joined = a.core.connect(new QuietSession(), { nick: "alice", username: "a", realname: "A", hostname: "h", address: "127.0.0.1", secure: false });
      assert.ok(joined.ok);
      assert.equal(await direct.hget(NICKS_KEY, "alice"), a.node.instance);

      proxy.cut();
      await waitFor(() => !a.node.connected, { what: "node a noticed Redis is gone" });
      a.core.quit(joined.user, "bye");
      proxy.restore();
      await waitFor(() => a.node.connected, { what: "node a back", timeoutMs: 10_000 });

      assert.equal(await direct.hget(NICKS_KEY, "alice"), null, "node a still holds the nick of a user that left");
      assert.equal(await b.node.nicks.claim("alice"), "ok", "a user of node b can take the nick");
    });

    test("a claim that loses to a user of the same node gives nothing back: that user keeps the nick in Redis", async (t) => {
      const teardown = teardownOf(t);
      t.after(() => teardown.run());
      const redis = await startRedis(teardown);
      const direct = new Redis(redis.url, { lazyConnect: true });
      await direct.connect();
      teardown.add("closing the test's Redis client", () => void direct.disconnect());
      const log = pino({ level: "silent" });
      const nodes = await Promise.all(
        ["a", "b"].map(async (name) => {
          const node = new ClusterNode({ redisUrl: redis.url, name, nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS, log });
          const core = new ChatCore(limits, node.bus);
          teardown.add(`stopping node ${name}`, () => node.stop());
          await node.start(core);
          await waitFor(() => node.connected, { what: `node ${name} joined` });
          return { node, core };
        }),
      );
      const [a, b] = nodes as [(typeof nodes)[number], (typeof nodes)[number]];
      assert.equal(await a.node.nicks.claim("bob"), "ok");
      assert.ok(a.core.connect(new QuietSession(), { nick: "bob", username: "b", realname: "B", hostname: "h", address: "127.0.0.1", secure: false }).ok);
      // A second registration of "bob" on node a, its claim in flight while the first completed:
      // "already ours" in Redis, refused by the chat core, and given back as registration does.
      assert.equal(await a.node.nicks.claim("bob"), "ok");
      assert.equal(a.core.connect(new QuietSession(), { nick: "bob", username: "c", realname: "C", hostname: "h", address: "127.0.0.1", secure: false }).ok, false);
      a.node.nicks.release("bob");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await direct.hget(NICKS_KEY, "bob"), a.node.instance, "the nick of node a's user was freed in Redis");
      assert.equal(await b.node.nicks.claim("bob"), "taken", "node b could give the nick of node a's user to another user");
    });
  },
);
