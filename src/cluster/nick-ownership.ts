import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ChatCore } from "../core/chat/chat-core.js";
import type { ChatUser } from "../core/chat/user.js";
import type { NickClaim, NickClaims } from "../core/chat/nick-claims.js";
import { foldCase } from "../core/chat/names.js";
import type { StateOp } from "../core/chat/replication.js";
import { detached } from "../detached.js";
import { withTimeout } from "../with-timeout.js";
import { CLAIM_NICK, KEEP_ONLY_NICKS, RELEASE_NICK } from "./nick-scripts.js";
import { HEARTBEAT_PREFIX, NICKS_KEY } from "./wire.js";

/** What nick ownership needs of the node it belongs to (cluster-node.ts). */
export interface NickOwnershipNode {
  /** This run of the node (see ClusterNode.instance). */
  readonly instance: string;
  /** The node's configured name. */
  readonly name: string;
  readonly commands: Redis;
  readonly log: Logger;
  /** Longest a claim waits for Redis. */
  readonly answerMs: number;
  core(): ChatCore | null;
  /** True while this node is joined (Redis answers and the others know what it holds). */
  synced(): boolean;
  /** Resolves true once joined, false when the node's grace for joining passed first. */
  joinedWithinGrace(): Promise<boolean>;
  /** The node name of another instance, as this node knows it. */
  nameOf(instance: string): string;
  /** Frees what gone earlier runs of this node's name hold (see EarlierRuns); how many runs. */
  releaseEarlierRuns(): Promise<number>;
}

/**
 * Who holds which nick across the cluster: the Redis hash of nick-scripts.ts, claimed
 * before a nick is given to a user of this node and released when it is given up, so that
 * two nodes never hand one nick to two users, whatever the timing.
 */
export class NickOwnership implements NickClaims {
  constructor(private readonly node: NickOwnershipNode) {}

  async claim(nick: string, holder?: string | null): Promise<NickClaim> {
    // A node that has just started (or whose Redis just blinked) is usually joined within a
    // moment: the client waits that moment rather than getting a FAIL it has to retry by hand.
    if (!this.node.synced() && !(await this.node.joinedWithinGrace())) return "unavailable";
    try {
      const owner = holder ?? this.node.instance;
      const won = await withTimeout(this.node.commands.eval(CLAIM_NICK, 1, NICKS_KEY, foldCase(nick), owner, HEARTBEAT_PREFIX), this.node.answerMs, "timeout");
      return won === 1 ? "ok" : "taken";
    } catch {
      return "unavailable";
    }
  }

  release(nick: string, holder?: string | null): void {
    if (!this.node.synced()) return;
    // Two claims of one nick by one node both succeed ("already ours"); the one that lost the
    // race to the chat core gives back nothing while a user of that node holds the nick.
    const user = this.node.core()?.findUser(nick);
    if (user && user.node === (holder ?? null)) return;
    this.node.commands.eval(RELEASE_NICK, 1, NICKS_KEY, foldCase(nick), holder ?? this.node.instance).catch(() => {});
  }

  /**
   * Claims the nick of the always-on user `record` so that this node restores it: in a
   * cluster each lives on one node, the first to claim its nick. False when it lives on
   * another node, or when the nick cannot be had: logged with the reason, never silently.
   */
  async claimAlwaysOn(record: { readonly account: string; readonly nick: string }): Promise<boolean> {
    let claim = await this.claim(record.nick);
    if (claim === "taken" && this.#livesElsewhere(record)) {
      this.node.log.debug({ account: record.account, nick: record.nick }, "always-on user lives on another node");
      return false;
    }
    // An earlier run of this node that still looked connected when this one joined may be gone by now: look once more.
    if (claim === "taken" && (await this.node.releaseEarlierRuns().catch(() => 0)) > 0) claim = await this.claim(record.nick);
    if (claim === "ok") return true;
    this.node.log.warn({ account: record.account, nick: record.nick, reason: await this.#whyNotClaimed(record.nick, claim) }, "always-on user not restored: its nick could not be claimed");
    return false;
  }

  /** Another node's user of the same account holds the nick: the always-on user itself, restored there. */
  #livesElsewhere(record: { readonly account: string; readonly nick: string }): boolean {
    const holder = this.node.core()?.findUser(record.nick);
    return holder !== undefined && holder.node !== null && holder.account !== null && foldCase(holder.account) === foldCase(record.account);
  }

  async #whyNotClaimed(nick: string, claim: NickClaim): Promise<string> {
    if (claim === "unavailable") return "Redis did not answer in time";
    const user = this.node.core()?.findUser(nick);
    if (user?.node) return `another user holds the nick on node ${this.node.nameOf(user.node)}`;
    const holder = await this.#holderOf(nick);
    if (holder === null) return "the nick was taken meanwhile";
    const namesake = this.node.nameOf(holder) === this.node.name ? ", another process under this node's name" : "";
    return `the nick is held in Redis by ${holder}${namesake}, still alive`;
  }

  /** The instance that holds `nick` in Redis, or null (none, or Redis did not answer). */
  async #holderOf(nick: string): Promise<string | null> {
    try {
      return await withTimeout(this.node.commands.hget(NICKS_KEY, foldCase(nick)), this.node.answerMs, "timeout");
    } catch {
      return null;
    }
  }

  /** Keeps Redis's idea of who holds which nick in step with this node's users. */
  followLocalOp(op: StateOp): void {
    if (op.op === "quit") this.release(op.nick);
    else if (op.op === "nick") {
      // A rename made here of a user of another node: that node holds its nicks and releases the old one.
      if (this.node.core()?.userById(op.user)?.node) return;
      if (foldCase(op.oldNick) !== foldCase(op.nick)) this.release(op.oldNick);
      this.#confirmSoon(op.user, op.nick);
    } else if (op.op === "user") this.#confirmSoon(op.user.id, op.user.nick);
  }

  /** This node's user removed or renamed by another node (KILL; NICK from its session there): its old nick is given back here, where it was claimed. */
  followRemoteOp(op: StateOp, wasOurs: boolean): void {
    if (!wasOurs) return;
    if (op.op === "quit") this.release(op.nick);
    if (op.op === "nick" && foldCase(op.oldNick) !== foldCase(op.nick)) this.release(op.oldNick);
  }

  #confirmSoon(userId: string, nick: string): void {
    detached(this.#confirm(userId, nick), (error) => this.node.log.warn({ err: error, nick }, "cluster: confirming a nick failed"));
  }

  /**
   * A nick a local user took without asking first (a service rename, an always-on user
   * restored, a claim while Redis was away) is claimed now; if another node holds it,
   * this node's user loses it (the later claim always loses).
   */
  async #confirm(userId: string, nick: string): Promise<void> {
    const result = await this.claim(nick);
    if (result !== "taken") return;
    const core = this.node.core();
    const user = core?.userById(userId);
    if (!user || user.node !== null || user.nick !== nick) return;
    this.node.log.warn({ nick }, "cluster: nick held on another node; disconnecting this node's user");
    core?.kill(user, "Nick collision: another node's user holds this nick");
  }

  /**
   * On (re)joining: claims the nick of every user of this node in one round trip (one that
   * another node took meanwhile loses it and is disconnected), then frees what this node
   * gave up while Redis was away (a QUIT, a NICK). Throws when Redis fails on the way.
   */
  async reclaimAll(core: ChatCore): Promise<void> {
    const own = this.#ownUsers(core);
    const claims = this.node.commands.pipeline();
    for (const user of own) claims.eval(CLAIM_NICK, 1, NICKS_KEY, user.folded, this.node.instance, HEARTBEAT_PREFIX);
    const answers = (await claims.exec()) ?? [];
    own.forEach((user, index) => {
      const [error, won] = answers[index] ?? [new Error("no answer"), 0];
      if (error) throw error;
      if (won === 1) return;
      this.node.log.warn({ nick: user.nick }, "cluster: nick taken on another node while this one was cut off");
      core.kill(user, "Nick collision: the nick was taken while this node was cut off");
    });
    const held = this.#ownUsers(core).map((user) => user.folded);
    await this.node.commands.eval(KEEP_ONLY_NICKS, 1, NICKS_KEY, this.node.instance, ...held);
  }

  #ownUsers(core: ChatCore): ChatUser[] {
    return [...core.users()].filter((user) => user.node === null);
  }
}
