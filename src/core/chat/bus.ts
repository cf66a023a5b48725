import type { ChatEvent } from "./events.js";
import type { StateOp } from "./replication.js";

/**
 * Who an event is for. Plain data, so that a bus between nodes can carry it as JSON
 * and every node resolves it against its own sessions. Channel names and account
 * names are casefolded; users are named by their id.
 */
export type Scope =
  /**
   * Members of a channel; with `rank`, only its operators ("op") or its voiced members and
   * operators ("voice"); with `exceptUser`, not that user (an id).
   */
  | { readonly kind: "channel"; readonly channel: string; readonly rank?: "op" | "voice"; readonly exceptUser?: string }
  /**
   * Members of any of these channels, each once, and the user `user` (all its sessions) when given;
   * with `watchedNick` (folded), also the sessions that watch that nick (MONITOR), each once.
   */
  | { readonly kind: "channels"; readonly channels: readonly string[]; readonly user?: string; readonly watchedNick?: string }
  /** The sessions that watch this (folded) nick (MONITOR), wherever their user is. */
  | { readonly kind: "watchers"; readonly nick: string }
  /** These users, each once, on all their sessions. */
  | { readonly kind: "users"; readonly users: readonly string[] }
  /** Every user logged in to the account (one user with multiclient, several without). */
  | { readonly kind: "account"; readonly account: string }
  | { readonly kind: "everyone" };

/** One event on its way: where it goes, and which session it came from. */
export interface Publication {
  readonly scope: Scope;
  readonly event: ChatEvent;
  /** The session whose command caused the event, or null (the server, a timer). */
  readonly fromSession: string | null;
  /** The originating session does not get its own event (it answers its command itself). */
  readonly skipOrigin: boolean;
}

/** Hands publications to this node's sessions. The chat core's local index implements it. */
export interface LocalDelivery {
  deliverLocal(publication: Publication): void;
  /**
   * The other nodes that hold someone this scope reaches, by the replica of who is where;
   * "all" when the replica cannot tell (MONITOR lists are kept per node).
   */
  remoteNodes(scope: Scope): ReadonlySet<string> | "all";
}

/**
 * Every chat event leaves the core through `publish`. The in-process bus hands it
 * straight to the local index; a bus between nodes also sends it to the other nodes,
 * whose bus hands it to their local index. Delivery to local sessions happens inside
 * `publish`, synchronously, so events reach sessions in the order they were published.
 */
export interface Bus {
  /** This node's id in the cluster; null for a node on its own. */
  readonly node: string | null;
  /** Whether the other nodes can be reached now (always, for a node on its own). */
  readonly connected: boolean;
  /** Called once by the chat core with its local index. */
  attach(local: LocalDelivery): void;
  publish(publication: Publication): void;
  /** A state change the other nodes' replicas must make; nothing to do on a node on its own. */
  replicate(op: StateOp): void;
}
