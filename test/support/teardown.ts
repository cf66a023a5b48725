/**
 * Clean-up in reverse order of set-up, whatever happened in between: nodes stop before
 * the Redis and the database they use go, and a database is dropped last.
 *
 * node:test runs a test's `t.after` hooks in the order they were registered, so
 * each test gets one Teardown (one `t.after`) that runs its steps last-in first-out.
 * Child processes and network set-up are also undone when the test process exits
 * without reaching its hooks (an uncaught error, SIGINT/SIGTERM), so a failed run
 * leaves no servers or namespaces behind.
 */

/** Anything with node:test's `after(fn)`: a TestContext, or a suite's own hook list. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

export class Teardown {
  readonly #steps: Array<{ what: string; run: () => Promise<void> | void }> = [];
  #ran = false;

  /** Adds a step; steps run last-registered first. */
  add(what: string, run: () => Promise<void> | void): void {
    if (this.#ran) throw new Error(`teardown already ran; cannot add "${what}"`);
    this.#steps.push({ what, run });
  }

  /** Runs every step (each even when an earlier one failed), then reports the failures together. */
  async run(): Promise<void> {
    if (this.#ran) return;
    this.#ran = true;
    const errors: Error[] = [];
    for (const step of this.#steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        errors.push(new Error(`${step.what}: ${(error as Error).message ?? String(error)}`, { cause: error }));
      }
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} clean-up steps failed: ${errors.map((e) => e.message).join("; ")}`);
  }
}

const teardowns = new WeakMap<object, Teardown>();

/** The one Teardown of `owner` (a test's context, or a Teardown itself), run by its `after` hook. */
export function teardownOf(owner: AfterHook | Teardown): Teardown {
  if (owner instanceof Teardown) return owner;
  let teardown = teardowns.get(owner);
  if (!teardown) {
    const created = new Teardown();
    teardowns.set(owner, created);
    owner.after(() => created.run());
    teardown = created;
  }
  return teardown;
}

// ── last resort: the process exits without running the hooks ─────────────────

const exitSteps = new Set<() => void>();
let exitHandlersInstalled = false;

function runExitSteps(): void {
  for (const step of exitSteps) {
    try {
      step();
    } catch {
      // Best effort: the process is going away.
    }
  }
  exitSteps.clear();
}

/**
 * `step` (synchronous: the process is exiting) runs if the process exits while the
 * returned function has not been called. Call it once the normal clean-up is done.
 */
export function onProcessExit(step: () => void): () => void {
  if (!exitHandlersInstalled) {
    exitHandlersInstalled = true;
    process.on("exit", runExitSteps);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        runExitSteps();
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      });
    }
  }
  exitSteps.add(step);
  return () => void exitSteps.delete(step);
}
