import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root (fuzz/engine/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FUZZ_ROOT = join(REPO_ROOT, "fuzz");

/** Where a target's inputs live: the seeds and past findings are in git, the rest is not. */
export function targetDirectories(target: string): { corpus: string; regressions: string; generated: string; findings: string } {
  return {
    corpus: join(FUZZ_ROOT, "corpus", target),
    regressions: join(FUZZ_ROOT, "regressions", target),
    generated: join(FUZZ_ROOT, "generated", target),
    findings: join(FUZZ_ROOT, "findings", target),
  };
}

export interface InputFile {
  readonly path: string;
  readonly data: Buffer;
}

/** Every file in `directory` (none when it does not exist), in name order so runs are repeatable. */
export function readInputs(directory: string): InputFile[] {
  let names: string[];
  try {
    names = readdirSync(directory).sort();
  } catch {
    return [];
  }
  return names
    .map((name) => join(directory, name))
    .filter((path) => statSync(path).isFile() && !path.endsWith(".md"))
    .map((path) => ({ path, data: readFileSync(path) }));
}

export function sha1(data: Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}

/** Writes `data` as `<prefix>-<sha1>` in `directory` and returns the path. */
export function writeInput(directory: string, prefix: string, data: Buffer): string {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${prefix}-${sha1(data)}`);
  writeFileSync(path, data);
  return path;
}
