import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RELEASE_GONE_NODE } from "./nick-scripts.js";
import { HEARTBEAT_PREFIX, NICKS_KEY, heartbeatKey, type ClusterChannels } from "./wire.js";
import { withTimeout } from "../with-timeout.js";

/** Each instance with a heartbeat in Redis (running, or killed less than a node timeout ago) and the node name it runs under. */
export async function heartbeats(commands: Redis, answerMs: number): Promise<Array<{ readonly instance: string; readonly name: string | null }>> {
  const keys = await withTimeout(commands.keys(`${HEARTBEAT_PREFIX}*`), answerMs, "Redis did not list the nodes in time");
  const names = keys.length === 0 ? [] : await withTimeout(commands.mget(...keys), answerMs, "Redis did not name the nodes in time");
  return keys.map((key, i) => ({ instance: key.slice(HEARTBEAT_PREFIX.length), name: names[i] ?? null }));
}

/**
 * The earlier runs of one node name, as the run `instance` sees them. A run killed a moment
 * ago keeps its heartbeat for the node timeout, and its nicks with it: without freeing them,
 * its always-on users could not come back and its users could not take their nicks again
 * until then. A run still connected to Redis is another process under this name (names must
 * be unique): it keeps what it holds, and the mistake is logged once.
 */
export class EarlierRuns {
  /** Other processes found running under the name, each reported once. */
  readonly #reported = new Set<string>();

  constructor(
    private readonly commands: Redis,
    private readonly instance: string,
    private readonly name: string,
    private readonly log: Logger,
    private readonly answerMs: number,
    private readonly channels: ClusterChannels,
  ) {}

  /** Frees the nicks and heartbeat of every earlier run of the name that is gone; resolves with how many nicks were freed. */
  async release(): Promise<number> {
    let freed = 0;
    for (const { instance, name } of await heartbeats(this.commands, this.answerMs)) {
      if (instance === this.instance || name !== this.name) continue;
      const released = await this.releaseIfGone(instance, this.name);
      if (released > 0) this.log.info({ peer: instance, nicks: released }, "cluster: freed the nicks of an earlier run of this node");
      freed += Math.max(0, released);
    }
    return freed;
  }

  /**
   * Frees `instance`'s nicks and heartbeat unless Redis still holds its subscription (see
   * RELEASE_GONE_NODE); resolves with how many nicks were freed, -1 when it is still there.
   * Only ever called for an instance of `name` while an instance of that name starts or says
   * hello: a node of another name is never touched here.
   */
  async releaseIfGone(instance: string, name: string): Promise<number> {
    const freed = Number(await this.commands.eval(RELEASE_GONE_NODE, 2, NICKS_KEY, heartbeatKey(instance), instance, this.channels.node(instance)));
    if (freed < 0) this.reportNamesake(instance, name);
    return freed;
  }

  /** Two processes under one name each look like the other's restart: said loudly, once per process. */
  reportNamesake(instance: string, name: string): void {
    if (this.#reported.has(instance)) return;
    this.#reported.add(instance);
    this.log.error(
      { peer: instance, nodeName: name },
      "cluster: two processes run under one node name (node names must be unique); neither frees the other's nicks: stop one of them",
    );
  }
}
