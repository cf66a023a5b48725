import type { Bus, LocalDelivery, Publication } from "../core/chat/bus.js";

/** The bus of a single node: every publication goes straight to the local index. */
export class InProcessBus implements Bus {
  readonly node = null;
  readonly connected = true;
  #local: LocalDelivery | null = null;

  attach(local: LocalDelivery): void {
    if (this.#local) throw new Error("InProcessBus: already attached to a chat core");
    this.#local = local;
  }

  publish(publication: Publication): void {
    this.#local?.deliverLocal(publication);
  }

  replicate(): void {
    // One node: no replica anywhere else.
  }
}
