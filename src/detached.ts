/**
 * Starts work that nobody waits for (a timer's job, a follow-up after a reply), with its
 * failure handed to `onError`: a rejection nobody handles would end the process.
 */
export function detached(work: Promise<unknown> | undefined, onError: (error: unknown) => void): void {
  work?.then(undefined, onError);
}

/** For work whose failures are already handled inside it (it never rejects by design). */
export const ignoreFailure = (): void => {};
