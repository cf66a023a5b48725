import { randomBytes } from "node:crypto";

/**
 * Message ids unique across restarts and nodes: a random per-process prefix and a counter.
 * Cheaper than random bytes per message, which matters on the fan-out path.
 */
export class MessageIds {
  readonly #prefix = randomBytes(9).toString("base64url");
  #counter = 0;

  next(): string {
    return `${this.#prefix}${(this.#counter++).toString(36)}`;
  }
}
