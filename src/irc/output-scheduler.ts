/**
 * Batches everything written to a connection during one turn of the event loop into
 * one socket write. A burst of fan-out to 500 clients then costs one syscall per
 * client per turn, not one per message.
 */
export interface Flushable {
  flush(): void;
}

const dirty = new Set<Flushable>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const target of dirty) target.flush();
  dirty.clear();
}

export function scheduleFlush(target: Flushable): void {
  dirty.add(target);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
