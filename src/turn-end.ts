/**
 * Writes held until the end of this turn of the event loop, so that everything one turn
 * sends to one peer is one write: a burst of fan-out to 500 clients costs one syscall per
 * client per turn, not one per message.
 *
 * Two kinds, flushed in this order: what the other cluster nodes must hear (the bus's
 * PUBLISHes), then what clients see. A client that sees the effect of a state change (its
 * second session's JOIN burst, a JOIN echo) may react at once through another node; that
 * node must already have been told, or a message sent there is routed by its old idea of
 * who is where and misses the change. Flushing clients first let a client outrun its own
 * state change across the cluster.
 */
export interface Flushable {
  flush(): void;
}

const toNodes = new Set<Flushable>();
const toClients = new Set<Flushable>();
let scheduled = false;

/**
 * Flushes what is held now instead of at the end of the turn. For writes made by work
 * that itself runs at the end of a turn or in a timer (the history writer's batch, in an
 * immediate, or when its commit interval ends):
 * their end-of-turn flush would be queued behind the next turn's reads, so under load a
 * stored message would reach its readers one whole turn later. The pending end-of-turn
 * flush still runs and finds what was added since.
 */
export function flushNow(): void {
  // Each target leaves its set before it flushes: one that queues again during its own flush
  // (a write that makes more to write) is added back and flushed again in this pass, instead
  // of being cleared with the rest and left holding bytes no flush is scheduled for.
  for (const target of toNodes) {
    toNodes.delete(target);
    target.flush();
  }
  for (const target of toClients) {
    toClients.delete(target);
    target.flush();
  }
}

function flushAll(): void {
  scheduled = false;
  flushNow();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(flushAll);
}

/** Flushes `target` (a client's send queue) at the end of this turn. */
export function scheduleFlush(target: Flushable): void {
  toClients.add(target);
  schedule();
}

/** Flushes `target` (what goes to the other nodes) at the end of this turn, before any client. */
export function scheduleFlushFirst(target: Flushable): void {
  toNodes.add(target);
  schedule();
}
