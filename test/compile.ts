/**
 * Builds the tree `npm test` runs: `.test-build/`, the repository as the tests see it, with
 * what tsconfig.json compiles (src/, test/, bench/, fuzz/ and the web modules they import)
 * as JavaScript with source maps, and every other file a symbolic link to the real one (the
 * .ts sources too, for the tests that read or run them; README.md, docs/, dist/,
 * node_modules/ …).
 *
 * Why: under `--import tsx` every test file's process spends ~1.5 s more CPU loading the
 * server (Node 20 runs tsx's module hooks on a thread of their own, one round trip per
 * module), which over some 270 files was a fifth of the suite. Paths the tests build from
 * their own location (`new URL("../..", import.meta.url)`) find the same files in the
 * mirror as in the repository, so the files need no change, and one test file still runs
 * from its source (`node --import tsx --test test/…/x.test.ts`) without this step.
 *
 * Usage: node --import tsx test/compile.ts [OUT]  (OUT defaults to .test-build; it is
 * removed first, so a deleted test file does not live on in it). tsc type-checks as it
 * compiles: a type error fails the build.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const out = resolve(REPO, process.argv[2] ?? ".test-build");
/** Not part of what the tests see: version control, and the output itself. */
const SKIPPED = new Set([join(REPO, ".git"), out]);
/**
 * Made by `npm run build`, which may run after this (it does in `npm test`, so that dist/ is
 * newer than the compiled sources and the CLI runs from it): linked even when still missing.
 */
const BUILT_LATER = ["dist"];

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(REPO, "tsconfig.json"), "--outDir", out], { stdio: "inherit" });

/**
 * Links into the mirror what tsc did not write: an entry it has nothing of is one link to
 * the real one; a folder it wrote into (src/, test/, web/src/ for the modules the unit tests
 * import) gets its other entries (its .ts files, anything else) the same way, one by one.
 */
function linkSources(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (SKIPPED.has(path)) continue;
    const mirrored = join(out, relative(REPO, path));
    if (!existsSync(mirrored)) symlinkSync(path, mirrored);
    else if (entry.isDirectory()) linkSources(path);
  }
}

linkSources(REPO);
for (const entry of BUILT_LATER) if (!existsSync(join(REPO, entry))) symlinkSync(join(REPO, entry), join(out, entry));
