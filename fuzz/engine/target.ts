/**
 * A fuzz target: one function that takes the fuzzer's bytes and throws when the code
 * under test does something it must not (an exception it did not mean to raise, or a
 * broken invariant). Errors the code is documented to raise are caught by the target.
 */
export interface FuzzTarget {
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  /** Tokens the mutator inserts: command names, keys, separators the input language uses. */
  readonly dictionary: readonly string[];
  /** Longest input tried (bytes). */
  readonly maxLength: number;
  /**
   * The inputs change state that outlives them (a running server): coverage is taken
   * around each input alone, and what runs between inputs (timers) is not counted.
   * Otherwise inputs run in batches between two coverage takes (a take costs about a
   * millisecond), and a batch that reached new code is run again one by one.
   */
  readonly stateful?: boolean;
  /** Starts what the target needs (a server, a temporary directory); once per process. */
  setup?(): Promise<void>;
  run(input: Buffer): void | Promise<void>;
  teardown?(): Promise<void>;
}

/** A broken invariant: what the target saw, said plainly (the input is saved beside it). */
export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

/** Throws an InvariantError saying `what` when `condition` is false. */
export function invariant(condition: unknown, what: string): asserts condition {
  if (!condition) throw new InvariantError(what);
}
