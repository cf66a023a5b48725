import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";

/** What the inspector's Profiler.takePreciseCoverage returns (the parts used here). */
interface CoverageRange {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface FunctionCoverage {
  readonly ranges: readonly CoverageRange[];
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly FunctionCoverage[];
}

/**
 * Block coverage of our own code (src/ as tsx loads it, or dist/), from V8's precise
 * coverage: the engine jazzer.js would have given us, but without a native addon.
 *
 * With `callCount: true` every take resets the counters, so each take is what ran since
 * the last one. A feature is "this block of our code ran" (a function's range, or a block
 * inside it, with a count above 0) — libFuzzer's edge, roughly.
 *
 * V8 leaves out a block that ran exactly as often as the range around it (the ranges are
 * collapsed), and reports a block that did not run with count 0. So once a block has been
 * seen, its count in a later take is that of the innermost reported range holding it.
 */
export class CoverageTracker {
  readonly #session = new Session();
  readonly #prefixes: readonly string[];
  /** Script URL to a small number, so feature keys stay short. */
  readonly #scriptIds = new Map<string, number>();
  /** Per function (by its key), the inner blocks seen so far, as [start, end] pairs. */
  readonly #blocks = new Map<string, Map<string, readonly [number, number]>>();
  /** Every feature any kept input has reached. */
  readonly #covered = new Set<string>();

  constructor(repoRoot: string) {
    const root = pathToFileURL(repoRoot).href.replace(/\/$/, "");
    this.#prefixes = [`${root}/src/`, `${root}/dist/`];
    this.#session.connect();
    this.#post("Profiler.enable");
    this.#post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
  }

  /** Features reached so far by the inputs kept. */
  get size(): number {
    return this.#covered.size;
  }

  /** Forgets what ran since the last take (background work between two inputs). */
  discard(): void {
    this.#post("Profiler.takePreciseCoverage");
  }

  /** The features of what ran since the last take. */
  take(): Set<string> {
    const { result } = this.#post("Profiler.takePreciseCoverage") as { result: ScriptCoverage[] };
    const features = new Set<string>();
    for (const script of result) {
      if (!this.#prefixes.some((prefix) => script.url.startsWith(prefix))) continue;
      const scriptId = this.#scriptId(script.url);
      for (const fn of script.functions) this.#addFunction(scriptId, fn.ranges, features);
    }
    return features;
  }

  /** How many of `features` no kept input has reached yet. */
  countNew(features: ReadonlySet<string>): number {
    let fresh = 0;
    for (const feature of features) if (!this.#covered.has(feature)) fresh++;
    return fresh;
  }

  keep(features: ReadonlySet<string>): void {
    for (const feature of features) this.#covered.add(feature);
  }

  stop(): void {
    this.#post("Profiler.stopPreciseCoverage");
    this.#session.disconnect();
  }

  #addFunction(scriptId: number, ranges: readonly CoverageRange[], features: Set<string>): void {
    const whole = ranges[0];
    if (!whole || whole.count === 0) return;
    const functionKey = `${scriptId}:${whole.startOffset}:${whole.endOffset}`;
    features.add(functionKey);
    let blocks = this.#blocks.get(functionKey);
    if (!blocks) {
      blocks = new Map();
      this.#blocks.set(functionKey, blocks);
    }
    const reported = new Set<string>();
    for (let i = 1; i < ranges.length; i++) {
      const range = ranges[i]!;
      const key = `${range.startOffset}:${range.endOffset}`;
      if (!blocks.has(key)) blocks.set(key, [range.startOffset, range.endOffset]);
      reported.add(key);
      if (range.count > 0) features.add(`${functionKey}/${key}`);
    }
    for (const [key, [start, end]] of blocks) {
      if (reported.has(key)) continue;
      if (innermostCount(ranges, start, end) > 0) features.add(`${functionKey}/${key}`);
    }
  }

  #scriptId(url: string): number {
    let id = this.#scriptIds.get(url);
    if (id === undefined) {
      id = this.#scriptIds.size;
      this.#scriptIds.set(url, id);
    }
    return id;
  }

  #post(method: string, params?: object): unknown {
    // An inspector session on the main thread answers synchronously.
    let failure: Error | null = null;
    let answer: unknown;
    this.#session.post(method, params, (error, result) => {
      failure = error;
      answer = result;
    });
    if (failure) throw failure;
    return answer;
  }
}

/** The count of the innermost range that holds [start, end] (V8 lists ranges outermost first). */
function innermostCount(ranges: readonly CoverageRange[], start: number, end: number): number {
  let count = 0;
  for (const range of ranges) if (range.startOffset <= start && range.endOffset >= end) count = range.count;
  return count;
}
