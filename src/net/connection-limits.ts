import { limitKey } from "./address.js";

export type AdmitResult = { ok: true; release: () => void } | { ok: false; reason: "too-many-total" | "too-many-from-address" };

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
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = (this.#perAddress.get(key) ?? 1) - 1;
        if (left <= 0) this.#perAddress.delete(key);
        else this.#perAddress.set(key, left);
      },
    };
  }
}
