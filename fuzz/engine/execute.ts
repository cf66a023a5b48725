import type { FuzzTarget } from "./target.js";

/** What went wrong with one input. */
export interface Failure {
  readonly kind: "crash" | "hang";
  readonly error: unknown;
}

class HangError extends Error {
  override readonly name = "HangError";
}

/**
 * Errors nobody caught anywhere in the process (a socket handler in a server under test,
 * a rejected promise nobody awaited): each is a finding for the input that was running.
 */
const processErrors: unknown[] = [];
const onUncaught = (error: unknown): void => void processErrors.push(error);

/** Listens for errors nobody caught while `work` runs (a fuzz run, a replay), and only then. */
export async function capturingProcessErrors<T>(work: () => Promise<T>): Promise<T> {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  try {
    return await work();
  } finally {
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUncaught);
  }
}

/** Runs one input through the target: null when all went well. */
export async function execute(target: FuzzTarget, input: Buffer, timeoutMs: number): Promise<Failure | null> {
  processErrors.length = 0;
  try {
    const result = target.run(input);
    if (result instanceof Promise) await withTimeout(result, timeoutMs);
  } catch (error) {
    // An error nobody caught is usually why the target then failed (a connection that
    // stopped answering after a command threw): that one is the finding.
    const stray = processErrors.shift();
    if (stray !== undefined) return { kind: "crash", error: stray };
    return { kind: error instanceof HangError ? "hang" : "crash", error };
  }
  // Let a rejection from the input's own work be reported before it is judged.
  if (processErrors.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const stray = processErrors.shift();
  return stray === undefined ? null : { kind: "crash", error: stray };
}

async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`the input did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error as a report shows it: its stack when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `thrown value that is not an Error: ${String(error)}`;
}
