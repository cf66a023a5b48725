import type { Bus, LocalDelivery, Publication } from "../core/chat/bus.js";
import type { StateOp } from "../core/chat/replication.js";
import { clusterChannels, type ClusterChannels } from "./wire.js";

/** How the bus reaches Redis: one ordered connection, and whether it is up. */
export interface BusLink {
  readonly up: boolean;
  /** PUBLISH, in call order; a failure is the link's to log (nothing waits for it). */
  send(channel: string, text: string): void;
}

/**
 * The bus of a cluster node. Every publication reaches this node's sessions at once
 * (as on one node); a message goes to the other nodes that hold someone in its scope, by
 * the replica's idea of who is where (a message in a channel whose members are all here
 * never leaves the node), and any other event to every node. State changes go to every node. One connection sends all of
 * it, so every node gets one node's messages in the order they were made.
 */
export class RedisBus implements Bus {
  #local: LocalDelivery | null = null;
  /**
   * What goes to every node, gathered until the current job (one command, one timer) ends and
   * sent as one Redis message: a receiving node applies a state change and shows its event in
   * one go, so none of its own users' commands runs between them (a JOIN there in between would
   * list a member that the next line removes, without ever showing the removal).
   */
  #toAll: string[] = [];
  #flushQueued = false;
  /** Each local state change, after it is sent (nick ownership follows renames and quits). */
  onLocalOp: ((op: StateOp) => void) | null = null;

  constructor(
    readonly node: string,
    private readonly link: BusLink,
    private readonly channels: ClusterChannels = clusterChannels(0),
  ) {}

  get connected(): boolean {
    return this.link.up;
  }

  attach(local: LocalDelivery): void {
    if (this.#local) throw new Error("RedisBus: already attached to a chat core");
    this.#local = local;
  }

  get local(): LocalDelivery {
    if (!this.#local) throw new Error("RedisBus: no chat core attached");
    return this.#local;
  }

  publish(publication: Publication): void {
    const local = this.local;
    local.deliverLocal(publication);
    // Down: what needs only this node goes on; what other nodes miss they re-read from history.
    if (!this.link.up) return;
    // Only messages, the fan-out path, go by the replica's routes. Everything else (joins,
    // parts, modes…) goes to every node, which shows it to its own members as its replica
    // stands: two users joining one channel on two nodes at once still see each other's JOIN.
    const nodes = publication.event.type === "message" ? local.remoteNodes(publication.scope) : "all";
    if (nodes !== "all" && nodes.size === 0) return;
    const text = JSON.stringify({ o: this.node, k: "p", p: publication });
    if (nodes === "all") {
      this.#sendToAll(text);
      return;
    }
    // What was gathered for every node goes first: one connection keeps this node's order.
    this.flush();
    for (const node of nodes) if (node !== this.node) this.link.send(this.channels.node(node), text);
  }

  replicate(op: StateOp): void {
    if (this.link.up) this.#sendToAll(JSON.stringify({ o: this.node, k: "s", s: op }));
    this.onLocalOp?.(op);
  }

  #sendToAll(text: string): void {
    this.#toAll.push(text);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends what was gathered for every node; called before anything else is sent. */
  flush(): void {
    this.#flushQueued = false;
    const texts = this.#toAll;
    if (texts.length === 0) return;
    this.#toAll = [];
    this.link.send(this.channels.state, texts.length === 1 ? texts[0]! : `[${texts.join(",")}]`);
  }

  /** A publication from another node: for this node's sessions only (its origin session is not here). */
  receive(publication: Publication): void {
    this.local.deliverLocal({ scope: publication.scope, event: publication.event, fromSession: null, skipOrigin: false });
  }
}
