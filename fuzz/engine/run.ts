import { CoverageTracker } from "./coverage.js";
import { REPO_ROOT, readInputs, targetDirectories, writeInput, type InputFile } from "./corpus-files.js";
import { capturingProcessErrors, describeError, execute, type Failure } from "./execute.js";
import { mutate } from "./mutate.js";
import { Prng } from "./prng.js";
import type { FuzzTarget } from "./target.js";
import { Watchdog } from "./watchdog.js";

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many seconds (null: no time limit). */
  readonly maxTotalTimeSeconds: number | null;
  /** Stop after this many mutated inputs (null: no limit). */
  readonly runs: number | null;
  /** One input taking longer than this is a hang. */
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface FuzzResult {
  readonly executions: number;
  readonly corpusSize: number;
  readonly features: number;
  /** Where the input that failed was saved; null when nothing was found. */
  readonly findingPath: string | null;
}

/** Inputs run between two coverage takes when the target keeps no state (see FuzzTarget.stateful). */
const BATCH_SIZE = 32;

class FindingSaved {
  constructor(readonly path: string) {}
}

/** How often the progress line is printed. */
const STATUS_EVERY_MS = 5_000;

/**
 * The libFuzzer loop: replay the corpus, then mutate an entry at random, run it, keep it
 * when it reached code no kept input reached, until time or runs are used up or the
 * target fails (the input is saved, the error printed, the run ends).
 */
export function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  return capturingProcessErrors(() => fuzzLoop(target, options));
}

async function fuzzLoop(target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const { log } = options;
  const prng = new Prng(options.seed);
  const directories = targetDirectories(target.name);
  const dictionary = target.dictionary.map((token) => Buffer.from(token, "utf8"));
  log(`fuzz ${target.name}: seed ${options.seed} (replay with --seed ${options.seed}), max length ${target.maxLength} bytes, timeout ${options.timeoutMs} ms`);
  await target.setup?.();
  const coverage = new CoverageTracker(REPO_ROOT);
  coverage.discard();
  const watchdog = new Watchdog(target.maxLength, options.timeoutMs + 2_000, directories.findings);
  const corpus: Buffer[] = [];
  let executions = 0;
  const started = Date.now();

  const runOne = async (input: Buffer): Promise<{ failure: Failure | null; fresh: number; features: Set<string> }> => {
    if (target.stateful) coverage.discard();
    const failure = await runWatched(input);
    const features = coverage.take();
    return { failure, fresh: coverage.countNew(features), features };
  };
  const runWatched = async (input: Buffer): Promise<Failure | null> => {
    watchdog.begin(input);
    const failure = await execute(target, input, options.timeoutMs);
    watchdog.end();
    executions++;
    return failure;
  };
  const batchSize = target.stateful ? 1 : BATCH_SIZE;

  const finish = async (findingPath: string | null): Promise<FuzzResult> => {
    coverage.stop();
    await watchdog.stop();
    await target.teardown?.();
    return { executions, corpusSize: corpus.length, features: coverage.size, findingPath };
  };

  const keepIfNew = (input: Buffer, fresh: number, features: Set<string>): void => {
    if (fresh === 0) return;
    coverage.keep(features);
    corpus.push(input);
    writeInput(directories.generated, "cov", input);
  };
  const runAlone = async (input: Buffer): Promise<FindingSaved | null> => {
    const { failure, fresh, features } = await runOne(input);
    if (failure) return new FindingSaved(reportFinding(target, input, failure, log, `(after ${executions} inputs, seed ${options.seed})`));
    keepIfNew(input, fresh, features);
    return null;
  };
  const runBatch = async (batch: readonly Buffer[]): Promise<FindingSaved | null> => {
    for (const input of batch) {
      const failure = await runWatched(input);
      if (failure) return new FindingSaved(reportFinding(target, input, failure, log, `(after ${executions} inputs, seed ${options.seed})`));
    }
    if (coverage.countNew(coverage.take()) === 0) return null;
    for (const input of batch) {
      const found = await runAlone(input);
      if (found) return found;
    }
    return null;
  };

  try {
    const known: InputFile[] = [...readInputs(directories.corpus), ...readInputs(directories.regressions), ...readInputs(directories.generated)];
    for (const { path, data } of known) {
      const input = data.subarray(0, target.maxLength);
      const { failure, fresh, features } = await runOne(input);
      if (failure) return await finish(reportFinding(target, input, failure, log, `(corpus file ${path})`));
      if (fresh > 0 || corpus.length === 0) {
        coverage.keep(features);
        corpus.push(input);
      }
    }
    if (corpus.length === 0) corpus.push(Buffer.alloc(0));
    log(`corpus replayed: ${known.length} files, ${corpus.length} kept, ${coverage.size} features`);

    const deadline = options.maxTotalTimeSeconds === null ? Infinity : started + options.maxTotalTimeSeconds * 1000;
    let lastStatus = Date.now();
    let mutated = 0;
    const other = (): Buffer => prng.pick(corpus);
    while (Date.now() < deadline && (options.runs === null || mutated < options.runs)) {
      const batch: Buffer[] = [];
      while (batch.length < batchSize && (options.runs === null || mutated < options.runs)) {
        batch.push(mutate(prng.pick(corpus), { prng, dictionary, other, maxLength: target.maxLength }));
        mutated++;
      }
      const found = batchSize === 1 ? await runAlone(batch[0]!) : await runBatch(batch);
      if (found) return await finish(found.path);
      if (Date.now() - lastStatus >= STATUS_EVERY_MS) {
        lastStatus = Date.now();
        log(status(executions, started, corpus.length, coverage.size));
      }
    }
    log(`done: ${status(executions, started, corpus.length, coverage.size)}`);
    return await finish(null);
  } catch (error) {
    await finish(null);
    throw error;
  }
}

function status(executions: number, started: number, corpusSize: number, features: number): string {
  const seconds = Math.max(0.001, (Date.now() - started) / 1000);
  return `#${executions} features: ${features} corpus: ${corpusSize} exec/s: ${Math.round(executions / seconds)} rss: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`;
}

/** Saves the failing input and prints what a developer needs to make it a regression. */
export function reportFinding(target: FuzzTarget, input: Buffer, failure: Failure, log: (line: string) => void, where: string): string {
  const path = writeInput(targetDirectories(target.name).findings, failure.kind === "hang" ? "timeout" : "crash", input);
  log(`\n==== FINDING (${failure.kind}) in target ${target.name} ${where}`);
  log(describeError(failure.error));
  log(`saved to ${path}`);
  log(`input (base64): ${input.toString("base64")}`);
  log(`replay: npm run fuzz -- ${target.name} --replay ${path}`);
  log(`once fixed, keep it: cp ${path} fuzz/regressions/${target.name}/`);
  return path;
}

/**
 * Runs the seed corpus and every past finding (fuzz/regressions/<target>/) once, or the
 * given files; returns the path of the first input that fails, or null.
 */
export interface RegressOptions {
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
  /** These inputs instead of the corpus and the regressions. */
  readonly files?: readonly InputFile[];
}

export function regress(target: FuzzTarget, options: RegressOptions): Promise<string | null> {
  return capturingProcessErrors(() => regressInputs(target, options));
}

async function regressInputs(target: FuzzTarget, options: RegressOptions): Promise<string | null> {
  const directories = targetDirectories(target.name);
  const inputs = options.files ?? [...readInputs(directories.corpus), ...readInputs(directories.regressions)];
  await target.setup?.();
  try {
    for (const { path, data } of inputs) {
      const failure = await execute(target, data.subarray(0, target.maxLength), options.timeoutMs);
      if (failure) return reportFinding(target, data, failure, options.log, `(file ${path})`);
    }
    options.log(`regress ${target.name}: ${inputs.length} inputs, no finding`);
    return null;
  } finally {
    await target.teardown?.();
  }
}
