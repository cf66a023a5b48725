import { limitKey } from "./address.js";

export type AdmitResult = { ok: true; slot: ConnectionSlot } | { ok: false; reason: "too-many-total" | "too-many-from-address" };

/**
 * Counts live connections per address key (IPv4 address or IPv6 /64) and in total,
 * shared by every service so one address cannot exhaust the server through any door.
 */
export class ConnectionLimits {
  readonly #perAddress = new Map<string, number>();
  #total = 0;

  constructor(
    private maxPerAddress: number,
    private maxTotal: number,
  ) {}

  /** New limits apply to new connections; live ones are never cut by a lower limit. */
  update(maxPerAddress: number, maxTotal: number): void {
    this.maxPerAddress = maxPerAddress;
    this.maxTotal = maxTotal;
  }

  get total(): number {
    return this.#total;
  }

  admit(address: string): AdmitResult {
    if (this.#total >= this.maxTotal) return { ok: false, reason: "too-many-total" };
    const key = limitKey(address);
    const count = this.#perAddress.get(key) ?? 0;
    if (count >= this.maxPerAddress) return { ok: false, reason: "too-many-from-address" };
    this.#perAddress.set(key, count + 1);
    this.#total++;
    return { ok: true, slot: new ConnectionSlot(this, key) };
  }

  /** From ConnectionSlot.release, once per slot. */
  free(key: string): void {
    this.#total--;
    const left = (this.#perAddress.get(key) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(key);
    else this.#perAddress.set(key, left);
  }
}

/**
 * One admitted connection's place in the limits. An object with a method rather than a
 * closure: every idle connection holds one, and a closure with its context cost ~90 bytes
 * where this costs ~24 (bench/idle-heap.ts).
 */
export class ConnectionSlot {
  #limits: ConnectionLimits | null;

  constructor(
    limits: ConnectionLimits,
    private readonly key: string,
  ) {
    this.#limits = limits;
  }

  /** Frees the place; later calls do nothing (a socket's close and its service may both call it). */
  release(): void {
    const limits = this.#limits;
    if (limits === null) return;
    this.#limits = null;
    limits.free(this.key);
  }
}

const SLOT = Symbol("connection slot");
type SlotHolder = { on(event: "close", listener: () => void): unknown; [SLOT]?: ConnectionSlot };

/** Frees `slot` when `socket` closes, through one listener shared by every socket. */
export function releaseOnClose(socket: SlotHolder, slot: ConnectionSlot): void {
  socket[SLOT] = slot;
  socket.on("close", releaseOwnSlot);
}

function releaseOwnSlot(this: SlotHolder): void {
  this[SLOT]?.release();
}
