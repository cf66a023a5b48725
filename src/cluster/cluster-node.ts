import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ChatCore } from "../core/chat/chat-core.js";
import { RedisBus, type BusLink } from "./redis-bus.js";
import { RELEASE_NODE } from "./nick-scripts.js";
import { NickOwnership } from "./nick-ownership.js";
import { EarlierRuns, heartbeats } from "./earlier-runs.js";
import { PeerSnapshots } from "./peer-snapshots.js";
import { EPOCH_KEY, NICKS_KEY, clusterChannels, decodeWire, heartbeatKey, type ClusterChannels, type WireMessage } from "./wire.js";
import { detached } from "../detached.js";
import { withTimeout } from "../with-timeout.js";
import { PublishOutbox } from "./publish-outbox.js";

export interface ClusterOptions {
  readonly redisUrl: string;
  /** This node's name (unique in the cluster). */
  readonly name: string;
  readonly nodeTimeoutSeconds: number;
  readonly log: Logger;
}

/** How often dead nodes are looked for. */
const DEATH_CHECK_MS = 1000;
/** Longest a readiness probe or a nick claim waits for Redis. */
const REDIS_ANSWER_MS = 2000;

/**
 * One node's membership of a cluster: its Redis connections, the bus over them, its
 * heartbeat, the replica of the other nodes (kept by their ops, rebuilt from their
 * snapshots whenever this node (re)connects), nick ownership (nick-ownership.ts), and the detection of
 * nodes that died.
 */
export class ClusterNode {
  /** This start of this node: its name and a random suffix, so a restarted node is a new instance. */
  readonly instance: string;
  readonly bus: RedisBus;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #log: Logger;
  /** Named after the database the Redis URL selects (see clusterChannels). */
  readonly #channels: ClusterChannels;
  #core: ChatCore | null = null;
  #synced = false;
  /** The id of the Redis run this node last joined through (see EPOCH_KEY). */
  #epoch: string | null = null;
  /** When both connections last answered a heartbeat. */
  #lastBeat = 0;
  #subscribed = false;
  #resyncing = false;
  /** Connections closed so far: a re-sync during which one closed starts over. */
  #losses = 0;
  /** When this node last (re)joined: nobody is declared dead before a whole timeout after it. */
  #joinedAt = 0;
  /** Other instances this node has heard of, with their names. */
  readonly #peers = new Map<string, string>();
  /** The other nodes' snapshots applied since this node last joined (see peersHeard). */
  readonly #snapshots = new PeerSnapshots();
  #heartbeat: NodeJS.Timeout | null = null;
  #deathCheck: NodeJS.Timeout | null = null;
  #splitTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** Nick claims made while this node is not (yet) joined, woken when it joins (see #joined). */
  readonly #joinWaiters = new Set<() => void>();
  /**
   * Until when a claim waits for the join: REDIS_ANSWER_MS after the start and after Redis
   * was lost. One deadline, not one wait per claim: restoring a hundred always-on users
   * while Redis is down must not take a hundred waits.
   */
  #joinGraceUntil = 0;
  /** What this node publishes, sent at the end of each turn (publish-outbox.ts). */
  readonly #outbox: PublishOutbox;
  readonly #earlierRuns: EarlierRuns;
  /** Who holds which nick across the cluster. */
  readonly nicks: NickOwnership;

  constructor(private readonly options: ClusterOptions) {
    this.instance = `${options.name}~${randomBytes(3).toString("hex")}`;
    this.#log = options.log.child({ node: options.name });
    const common = {
      // Fail fast while Redis is away: nothing queues up to be replayed out of order later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: REDIS_ANSWER_MS,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
      lazyConnect: true,
    };
    this.#commands = new Redis(options.redisUrl, { ...common, connectionName: `cmymessage:${this.instance}` });
    // As ioredis reads the URL (/db or ?db=): it selects a database only when the number is not 0 (nor NaN).
    this.#channels = clusterChannels(this.#commands.options.db || 0);
    this.#outbox = new PublishOutbox(this.#commands, this.#log);
    this.#earlierRuns = new EarlierRuns(this.#commands, this.instance, options.name, this.#log, REDIS_ANSWER_MS, this.#channels);
    this.nicks = new NickOwnership({
      instance: this.instance,
      name: options.name,
      commands: this.#commands,
      log: this.#log,
      answerMs: REDIS_ANSWER_MS,
      core: () => this.#core,
      synced: () => this.#synced,
      joinedWithinGrace: () => this.#joined(this.#joinGraceUntil - Date.now()),
      nameOf: (instance) => this.#nameOf(instance),
      releaseEarlierRuns: () => this.releaseEarlierRuns(),
    });
    // Subscribed afresh on every "ready" below, so a resync never runs before the subscription is in place.
    this.#subscriber = new Redis(options.redisUrl, { ...common, connectionName: `cmymessage:${this.instance}:sub`, autoResubscribe: false });
    const isUp = (): boolean => this.#synced;
    const link: BusLink = {
      get up() {
        return isUp();
      },
      send: (channel, text) => this.#outbox.queue(channel, text),
    };
    this.bus = new RedisBus(this.instance, link, this.#channels);
    this.bus.onLocalOp = (op) => this.nicks.followLocalOp(op);
    for (const client of [this.#commands, this.#subscriber]) {
      client.on("error", (error: Error) => this.#log.debug({ err: error.message }, "cluster: redis error"));
      client.on("close", () => {
        this.#losses++;
        this.#lostRedis();
      });
    }
    this.#commands.on("ready", () => this.#resyncSoon());
    this.#subscriber.on("ready", () => detached(this.#subscribe(), (error) => this.#log.warn({ err: error }, "cluster: subscribe failed")));
    this.#subscriber.on("close", () => (this.#subscribed = false));
    this.#subscriber.on("messageBuffer", (_channel: Buffer, message: Buffer) => this.#receive(message.toString("utf8")));
  }

  /** True while Redis answers and this node has told the others what it holds. */
  get connected(): boolean {
    return this.#synced;
  }

  /** Starts with the chat core that uses `bus`; Redis may still be away (it is retried). */
  async start(core: ChatCore): Promise<void> {
    this.#core = core;
    this.#joinGraceUntil = Date.now() + REDIS_ANSWER_MS;
    this.#heartbeat = setInterval(() => this.#beat(), Math.max(500, (this.options.nodeTimeoutSeconds * 1000) / 3));
    this.#deathCheck = setInterval(() => detached(this.#checkPeers(), (error) => this.#log.warn({ err: error }, "cluster: checking the other nodes failed")), DEATH_CHECK_MS);
    this.#heartbeat.unref();
    this.#deathCheck.unref();
    await Promise.all([
      this.#commands.connect().catch((error: Error) => this.#log.warn({ err: error.message }, "cluster: Redis not reachable at start; retrying")),
      this.#subscriber.connect().catch(() => {}),
    ]);
    await this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    if (this.#subscribed || this.#subscriber.status !== "ready") return;
    try {
      await this.#subscriber.subscribe(this.#channels.state, this.#channels.node(this.instance));
      this.#subscribed = true;
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, "cluster: could not subscribe; retrying when Redis is back");
      return;
    }
    await this.#maybeResync();
  }

  /** The readiness probe: Redis answers a PING in time. */
  async probe(): Promise<void> {
    if (!this.#synced) throw new Error("Redis is unreachable; this node serves only its own users");
    await withTimeout(this.#commands.ping(), REDIS_ANSWER_MS, "Redis did not answer PING in time");
  }

  /** Frees the nicks and heartbeat of every earlier run of this node's name that is gone (see EarlierRuns). */
  releaseEarlierRuns(): Promise<number> {
    return this.#earlierRuns.release();
  }

  /** True once this node is joined, false when `ms` passed first (at once for none) or the node stopped. */
  #joined(ms: number): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stopped || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#joinWaiters.delete(wake);
        resolve(this.#synced);
      };
      const timer = setTimeout(wake, ms);
      this.#joinWaiters.add(wake);
    });
  }

  /**
   * Resolves once this node is joined and has applied the snapshot of every other node
   * alive in Redis when it joined (their answers to its hello), or when `ms` passed first;
   * true when all were heard. Until then this node does not know the cluster's channels:
   * what must see them as they are (the always-on users it restores, whose joins would
   * otherwise create channels that exist elsewhere, with op and no admission check) waits.
   */
  async peersHeard(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    if (!(await this.#joined(ms))) return false;
    let alive: string[];
    try {
      // Not this node, nor an earlier run of it (its heartbeat outlives a crash for a while, and it will never answer).
      alive = (await heartbeats(this.#commands, REDIS_ANSWER_MS)).filter(({ instance, name }) => instance !== this.instance && name !== this.options.name).map(({ instance }) => instance);
    } catch {
      return false;
    }
    return this.#snapshots.heardAll(alive, deadline, () => this.#stopped);
  }

  /** `#maybeResync` catches its own failures and retries; this only keeps a bug in it from going unheard. */
  #resyncSoon(): void {
    detached(this.#maybeResync(), (error) => this.#log.error({ err: error }, "cluster: re-sync failed"));
  }

  // ── membership ────────────────────────────────────────────────────────

  /**
   * Renews the heartbeat and checks that both connections still answer. A network cut may
   * leave the TCP connections open and silent; once the heartbeat has failed for two thirds
   * of the timeout (the others drop this node at the whole of it), this node takes Redis as
   * lost, reconnects, and re-syncs when the link is back.
   */
  #beat(): void {
    const timeoutMs = this.options.nodeTimeoutSeconds * 1000;
    if (this.#synced && Date.now() - this.#lastBeat > (timeoutMs * 2) / 3) {
      this.#log.warn({ silentMs: Date.now() - this.#lastBeat }, "cluster: Redis does not answer; reconnecting");
      this.#lostRedis();
      this.#commands.disconnect(true);
      this.#subscriber.disconnect(true);
      return;
    }
    if (this.#commands.status !== "ready" || this.#subscriber.status !== "ready") return;
    const answer = timeoutMs / 3;
    Promise.all([
      withTimeout(this.#commands.set(heartbeatKey(this.instance), this.options.name, "PX", timeoutMs), answer, "heartbeat timed out"),
      withTimeout(this.#subscriber.ping(), answer, "subscriber ping timed out"),
    ]).then(
      () => (this.#lastBeat = Date.now()),
      () => {},
    );
  }

  /** Both connections up again (or for the first time): tell everyone what this node holds, and learn what they hold. */
  async #maybeResync(): Promise<void> {
    if (this.#synced || this.#resyncing || this.#stopped || !this.#core) return;
    if (this.#commands.status !== "ready" || !this.#subscribed) return;
    this.#resyncing = true;
    const losses = this.#losses;
    // Rejoining now: the split this node would show its users if Redis stayed away is off.
    if (this.#splitTimer) clearTimeout(this.#splitTimer);
    this.#splitTimer = null;
    try {
      // Back after the others gave this node up (its heartbeat expired): its users see the split
      // now, as the others' users did, and the hello below brings everyone back as a net-join.
      // A Redis that restarted has forgotten every heartbeat (its epoch is new): nobody gave anyone up.
      await this.#commands.setnx(EPOCH_KEY, randomBytes(8).toString("hex"));
      const epoch = await this.#commands.get(EPOCH_KEY);
      const sameRedis = epoch === this.#epoch;
      this.#epoch = epoch;
      const givenUp = this.#joinedAt > 0 && sameRedis && (await this.#commands.exists(heartbeatKey(this.instance))) === 0;
      if (givenUp) for (const instance of this.#core.replica.nodes()) this.#forget(instance, "Cluster unreachable");
      await this.#commands.set(heartbeatKey(this.instance), this.options.name, "PX", this.options.nodeTimeoutSeconds * 1000);
      // Before the hello, before anything here claims a nick: what a run killed a moment ago
      // holds is free again now, not when its heartbeat expires.
      await this.releaseEarlierRuns();
      await this.nicks.reclaimAll(this.#core);
      // A connection closed meanwhile (its "close" could not mark this node unsynced, it was not yet
      // synced): the others' answers to the hello may be lost, so start again once it is back.
      if (this.#losses !== losses) throw new Error("a Redis connection closed during the re-sync");
      this.#joinedAt = Date.now();
      this.#lastBeat = Date.now();
      this.#snapshots.clear();
      this.#synced = true;
      this.#send(this.#channels.state, { o: this.instance, k: "hello", name: this.options.name, snapshot: this.#core.replica.snapshot() });
      this.#log.info({ instance: this.instance }, "cluster: joined");
      for (const wake of [...this.#joinWaiters]) wake();
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, "cluster: could not join yet; retrying");
      setTimeout(() => this.#resyncSoon(), 1000).unref();
    } finally {
      this.#resyncing = false;
    }
  }

  #lostRedis(): void {
    if (!this.#synced || this.#stopped) return;
    this.#synced = false;
    this.#joinGraceUntil = Date.now() + REDIS_ANSWER_MS;
    this.#log.warn("cluster: Redis connection lost; serving this node's users only until it returns");
    // Cut off longer than a node may be silent: the others have dropped this node's users, so
    // this node drops theirs (its users see the split), and both sides rejoin when Redis returns.
    // When the others drop this node: a whole timeout after its last heartbeat went through.
    const untilDropped = Math.max(0, this.#lastBeat + this.options.nodeTimeoutSeconds * 1000 - Date.now());
    this.#splitTimer = setTimeout(() => {
      this.#splitTimer = null;
      if (this.#synced || !this.#core) return;
      for (const instance of this.#core.replica.nodes()) this.#forget(instance, "Cluster unreachable");
    }, untilDropped);
    this.#splitTimer.unref();
  }

  async #checkPeers(): Promise<void> {
    const core = this.#core;
    if (!this.#synced || !core || Date.now() - this.#joinedAt < this.options.nodeTimeoutSeconds * 1000) return;
    const instances = new Set([...this.#peers.keys(), ...core.replica.nodes()]);
    instances.delete(this.instance);
    if (instances.size === 0) return;
    const list = [...instances];
    try {
      const alive = await this.#commands.mget(...list.map(heartbeatKey));
      list.forEach((instance, index) => {
        if (alive[index] !== null) return;
        this.#forget(instance, `Node ${this.#nameOf(instance)} is unreachable`);
        this.#commands.eval(RELEASE_NODE, 1, NICKS_KEY, instance).catch(() => {});
      });
    } catch {
      // Redis went away during the check: the next one after it returns decides.
    }
  }

  /**
   * `instance` started again under a new instance: its users are gone now, and so are the
   * nicks it holds in Redis, unless it is in fact still there (another process under the name).
   * The new run frees them itself as it joins; this covers one that does not.
   */
  #replaced(instance: string, name: string): void {
    this.#forget(instance, `Node ${name} restarted`);
    detached(this.#earlierRuns.releaseIfGone(instance, name), (error) => this.#log.warn({ err: error, peer: instance }, "cluster: could not free the nicks of a restarted node's earlier run"));
  }

  #forget(instance: string, reason: string): void {
    const dropped = this.#core?.replica.dropNode(instance, reason) ?? 0;
    this.#peers.delete(instance);
    this.#log.info({ peer: instance, users: dropped, reason }, "cluster: node left");
  }

  #nameOf(instance: string): string {
    return this.#peers.get(instance) ?? instance.slice(0, instance.lastIndexOf("~"));
  }

  // ── receiving ─────────────────────────────────────────────────────────

  #receive(text: string): void {
    for (const message of decodeWire(text)) {
      // A throw here would leave the Redis client's event handler; one bad message must not stop the node.
      // Its contents are users' words and addresses: only the failure is logged.
      try {
        this.#handle(message);
      } catch (error) {
        this.#log.error({ err: (error as Error).message, peer: message.o, kind: message.k }, "cluster: a message from another node could not be applied");
      }
    }
  }

  #handle(message: WireMessage): void {
    const core = this.#core;
    if (!core || message.o === this.instance || this.#stopped) return;
    if (!this.#peers.has(message.o) && message.k !== "bye") this.#peers.set(message.o, this.#nameOf(message.o));
    switch (message.k) {
      case "p": {
        // A topic or mode change that lost to a newer one is not shown (Replica.shown).
        const publication = core.replica.shown(message.p);
        if (publication) this.bus.receive(publication);
        return;
      }
      case "s": {
        // This node's user removed or renamed elsewhere (KILL; NICK from its session on another
        // node): the nick it held is given back here, where it was claimed.
        const op = message.s;
        const ours = (op.op === "quit" || op.op === "nick") && core.userById(op.user)?.node === null;
        core.replica.apply(op, message.o);
        this.nicks.followRemoteOp(op, ours);
        return;
      }
      case "hello":
        this.#peers.set(message.o, message.name);
        if (message.name === this.options.name) this.#earlierRuns.reportNamesake(message.o, message.name);
        // The same name under another instance is that node restarted: its old users are gone.
        for (const [instance, name] of [...this.#peers]) if (name === message.name && instance !== message.o) this.#replaced(instance, name);
        core.replica.applySnapshot(message.o, message.snapshot, `Node ${message.name} re-synchronised`);
        this.#snapshots.applied(message.o);
        this.#send(this.#channels.node(message.o), { o: this.instance, k: "snap", name: this.options.name, snapshot: core.replica.snapshot() });
        this.#log.info({ peer: message.o, users: message.snapshot.users.length }, "cluster: node joined");
        return;
      case "snap":
        this.#peers.set(message.o, message.name);
        core.replica.applySnapshot(message.o, message.snapshot, `Node ${message.name} re-synchronised`);
        this.#snapshots.applied(message.o);
        return;
      case "bye":
        this.#forget(message.o, `Node ${this.#nameOf(message.o)} stopped`);
        return;
    }
  }

  #send(channel: string, message: WireMessage): void {
    this.bus.flush();
    this.#outbox.queue(channel, JSON.stringify(message));
  }

  /** After the chat's users have quit: tell the others, give back the heartbeat, close. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#deathCheck) clearInterval(this.#deathCheck);
    if (this.#splitTimer) clearTimeout(this.#splitTimer);
    if (this.#synced) {
      // What this node published last goes before the bye.
      this.bus.flush();
      this.#outbox.flush();
      await this.#commands.publish(this.#channels.state, JSON.stringify({ o: this.instance, k: "bye" })).catch(() => {});
      await this.#commands.del(heartbeatKey(this.instance)).catch(() => {});
      await this.#commands.eval(RELEASE_NODE, 1, NICKS_KEY, this.instance).catch(() => {});
    }
    this.#stopped = true;
    this.#synced = false;
    for (const wake of [...this.#joinWaiters]) wake();
    this.#snapshots.wakeAll();
    this.#commands.disconnect();
    this.#subscriber.disconnect();
  }
}
