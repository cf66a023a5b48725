/**
 * A suite that runs only where what it needs is there. Where something is missing it
 * is one test of the suite's name, skipped with the reason (the run counts it as
 * skipped; a passing stand-in would read as tested), or failed with it when the
 * gate's environment variable is 1 (CI: "this must run here").
 */
import { describe, test } from "node:test";

export interface Gate {
  /** Why the suite cannot run here, or null when it can. */
  readonly reason: string | null;
  /** Set to 1 to make a missing requirement a failure. */
  readonly requireEnv: string;
}

export function gatedSuite(title: string, gates: readonly Gate[], body: () => void): void {
  const closed = gates.filter((gate) => gate.reason !== null);
  if (closed.length === 0) {
    describe(title, body);
    return;
  }
  const mandatory = closed.filter((gate) => process.env[gate.requireEnv] === "1");
  if (mandatory.length > 0) {
    test(title, () => {
      throw new Error(mandatory.map((gate) => `${gate.reason} (${gate.requireEnv}=1 makes it mandatory)`).join("; "));
    });
    return;
  }
  test(title, { skip: closed.map((gate) => gate.reason).join("; ") }, () => {});
}
