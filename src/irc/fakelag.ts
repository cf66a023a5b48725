import type { FloodConfig } from "../config/schema.js";

/**
 * Receive flood control in the style of Ergo's fakelag: a client may send `burst`
 * lines at full speed; after that each line waits until 1/linesPerSecond has passed
 * since the previous one. `cooldownSeconds` of calm restores burst mode.
 *
 * Time is injected so the behaviour is tested without sleeping. Not thread-safe by
 * design: only the connection's own input loop touches it.
 */
export class Fakelag {
  #throttled = false;
  #burstCount = 0;
  #lastTouch = 0;

  constructor(
    private readonly config: FloodConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one incoming line and returns how many milliseconds to hold it back. */
  touch(): number {
    if (!this.config.enabled) return 0;
    const now = this.now();
    const elapsed = now - this.#lastTouch;
    const cooldown = this.config.cooldownSeconds * 1000;
    if (!this.#throttled) {
      if (elapsed > cooldown) this.#burstCount = 0;
      this.#burstCount++;
      if (this.#burstCount <= this.config.burst) {
        this.#lastTouch = now;
        return 0;
      }
      this.#throttled = true;
    } else if (elapsed > cooldown) {
      this.#throttled = false;
      this.#burstCount = 1;
      this.#lastTouch = now;
      return 0;
    }
    const interval = 1000 / this.config.linesPerSecond;
    const wait = Math.max(0, interval - elapsed);
    this.#lastTouch = now + wait;
    return wait;
  }
}
