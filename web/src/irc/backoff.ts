/** Reconnect delays: exponential, capped, with jitter so that clients a restart dropped don't all come back at once. */
export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const RECONNECT_BACKOFF: BackoffSettings = { baseMs: 1000, maxMs: 30_000 };

/**
 * The delay before attempt number `attempt` (0 = the first retry): a random time between
 * half and all of min(max, base·2^attempt) ("equal jitter": never zero, never synchronised).
 */
export function backoffDelay(attempt: number, settings: BackoffSettings = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
