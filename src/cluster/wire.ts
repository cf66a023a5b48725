import type { Publication } from "../core/chat/bus.js";
import type { NodeSnapshot, StateOp } from "../core/chat/replication.js";
import { wireMessage } from "./wire-schema.js";
import { isMessagePublication } from "./wire-fast-path.js";

/** The Redis pub/sub channels of one cluster. */
export interface ClusterChannels {
  /** Every node reads it: state changes, events for everyone, hellos. */
  readonly state: string;
  /** Events for the users of one node (by its instance id), and answers meant for it. */
  node(instance: string): string;
}

/**
 * The channels of the cluster on Redis database `db`. Pub/sub ignores the database number
 * (a client on any database hears every channel), so the number is in the names: clusters
 * on different databases of one Redis neither hear each other nor count each other's
 * subscribers. Database 0 keeps the names from before there was a number in them, so a
 * cluster there upgrades one node at a time.
 */
export function clusterChannels(db: number): ClusterChannels {
  const prefix = db === 0 ? "cmy:" : `cmy:${db}:`;
  return { state: `${prefix}state`, node: (instance) => `${prefix}node:${instance}` };
}

const DATABASE_0 = clusterChannels(0);
/** The state channel of a cluster on database 0. */
export const STATE_CHANNEL = DATABASE_0.state;
/** A node channel of a cluster on database 0. */
export const nodeChannel = DATABASE_0.node;
export const heartbeatKey = (instance: string): string => `cmy:hb:${instance}`;
export const HEARTBEAT_PREFIX = "cmy:hb:";
export const NICKS_KEY = "cmy:nicks";
/** Set once per Redis run (Redis keeps nothing on disk): a node tells a restarted Redis from a cut. */
export const EPOCH_KEY = "cmy:epoch";

/**
 * What nodes say to each other, as JSON on Redis pub/sub. `o` is the sending node's
 * instance id (its name and a per-start suffix, so a restarted node is a new instance).
 */
export type WireMessage =
  | { readonly o: string; readonly k: "p"; readonly p: Publication }
  | { readonly o: string; readonly k: "s"; readonly s: StateOp }
  /** A node (re)joins: here is all it holds; answer with yours. */
  | { readonly o: string; readonly k: "hello"; readonly name: string; readonly snapshot: NodeSnapshot }
  /** The answer to a hello, sent to the node that said it. */
  | { readonly o: string; readonly k: "snap"; readonly name: string; readonly snapshot: NodeSnapshot }
  /** A node stops: its users have quit already; forget it now rather than after the timeout. */
  | { readonly o: string; readonly k: "bye" };

/**
 * Parses what another node sent: one message, or an array of them that the receiver must
 * handle in one go (a state change and its event, so nothing on the receiving node runs
 * between them). Anything that is not a message of this version's exact shape (another
 * version, noise, a hostile node) is left out: see wire-schema.ts.
 */
export function decodeWire(text: string): WireMessage[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  const messages: WireMessage[] = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (isMessagePublication(item)) {
      messages.push(item);
      continue;
    }
    const parsed = wireMessage.safeParse(item);
    if (parsed.success) messages.push(parsed.data);
  }
  return messages;
}
