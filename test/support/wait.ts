/**
 * Waiting for a condition instead of sleeping a fixed time: a fixed sleep is either
 * too short on a busy machine (a flaky test) or longer than needed everywhere.
 */

export interface WaitOptions {
  /** Give up after this long (the condition never came): a failure, not a measurement. */
  readonly timeoutMs?: number;
  /** Between two looks at the condition. */
  readonly intervalMs?: number;
  /** What is awaited, for the error message. */
  readonly what?: string;
}

/**
 * Resolves with the first value of `check()` that is neither undefined, null nor
 * false, looking again every `intervalMs`; rejects after `timeoutMs` with the last
 * error `check` threw, if any.
 */
export async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 5000, intervalMs = 10, what = "the condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message ?? String(lastError)}` : ""}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Runs `attempt` again (every `intervalMs`) while `refused(result)` says it was turned
 * away, and resolves with the first result that was not: for a step the brute-force
 * guard may hold back for the (test-sized) back-off after an earlier failure. Only
 * use it where a refused attempt changes nothing (the guard refuses before it counts).
 */
export async function retryWhile<T>(attempt: () => Promise<T>, refused: (result: T) => boolean, options: WaitOptions = {}): Promise<T> {
  const { value } = await waitFor(
    async () => {
      const result = await attempt();
      return refused(result) ? undefined : { value: result };
    },
    { what: "an attempt that is not refused", ...options },
  );
  return value;
}

/** `promise`, or a rejection naming `what` once `ms` have passed without it settling. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
