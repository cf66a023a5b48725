import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { randomSeed } from "./engine/prng.js";
import { fuzz, regress } from "./engine/run.js";
import { targets, targetNamed } from "./targets/index.js";

const USAGE = `Coverage-guided fuzzing of CmyMessage's input handling (docs/fuzzing.md).

  npm run fuzz -- TARGET [--max-total-time S] [--runs N] [--seed N] [--timeout MS]
  npm run fuzz -- TARGET --replay FILE...      run given inputs once
  npm run fuzz -- TARGET --regress             run the seed corpus and past findings once
  npm run fuzz:regress                         --regress for every target
  npm run fuzz -- --list                       the target names, one a line

Options:
  --max-total-time S  stop after S seconds (default: run until stopped or a finding)
  --runs N            stop after N mutated inputs
  --seed N            PRNG seed (printed at start; the same seed repeats the same inputs)
  --timeout MS        one input running longer is a hang finding (default 5000)

A finding (an exception the code did not mean to throw, a broken invariant, a hang) is
saved to fuzz/findings/TARGET/, printed with its base64, and the exit status is 1.

Targets:
${targets.map((t) => `  ${t.name.padEnd(14)} ${t.description}`).join("\n")}
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Node prints every process warning; the YAML parser raises one for each odd document
 * the config target tries, which would bury the progress lines. Others are shown once.
 */
function quietWarnings(): void {
  const shown = new Set<string>();
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "YAMLWarning" || warning.message.startsWith("Keys with collection values")) return;
    if (shown.has(warning.name)) return;
    shown.add(warning.name);
    log(`warning: ${warning.name}: ${warning.message}`);
  });
}

async function main(): Promise<number> {
  quietWarnings();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "max-total-time": { type: "string" },
      runs: { type: "string" },
      seed: { type: "string" },
      timeout: { type: "string" },
      replay: { type: "boolean", default: false },
      regress: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.list) {
    process.stdout.write(targets.map((t) => `${t.name}\n`).join(""));
    return 0;
  }
  if (values.help || (positionals.length === 0 && !values.all)) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const timeoutMs = wholeNumber(values.timeout, "--timeout") ?? 5000;
  if (values.all) {
    if (!values.regress) throw new UsageError("--all goes with --regress");
    let failed = 0;
    for (const target of targets) if ((await regress(target, { timeoutMs, log })) !== null) failed++;
    return failed === 0 ? 0 : 1;
  }
  const [name, ...files] = positionals;
  const target = targetNamed(name!);
  if (!target) throw new UsageError(`no target ${name}; the targets are ${targets.map((t) => t.name).join(", ")}`);
  if (values.replay) {
    const inputs = files.map((path) => ({ path, data: readFileSync(path) }));
    return (await regress(target, { timeoutMs, log, files: inputs })) === null ? 0 : 1;
  }
  if (files.length > 0) throw new UsageError(`unexpected arguments: ${files.join(" ")} (use --replay to run files)`);
  if (values.regress) return (await regress(target, { timeoutMs, log })) === null ? 0 : 1;
  const result = await fuzz(target, {
    seed: wholeNumber(values.seed, "--seed") ?? randomSeed(),
    maxTotalTimeSeconds: wholeNumber(values["max-total-time"], "--max-total-time"),
    runs: wholeNumber(values.runs, "--runs"),
    timeoutMs,
    log,
  });
  return result.findingPath === null ? 0 : 1;
}

class UsageError extends Error {}

function wholeNumber(text: string | undefined, option: string): number | null {
  if (text === undefined) return null;
  if (!/^\d{1,10}$/.test(text)) throw new UsageError(`${option} takes a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof UsageError ? `fuzz: ${error.message}` : `fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
