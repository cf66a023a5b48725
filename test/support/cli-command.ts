/**
 * How tests run the CLI (`cmymessage …`) in a child process: dist/cli/main.js when it
 * is at least as new as every file in src/ (`npm test` builds it in `pretest`, and it
 * is what `npm start` runs; it starts in about half the time of the TypeScript
 * sources), otherwise src/cli/main.ts through tsx. A developer who edits src/ and runs
 * one test file without building thereby tests the code in front of them, never a
 * stale build.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The newest modification time of `dir` and of anything below it (a folder's changes when a file is added or deleted). */
function newestMtime(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let cliArgs: { readonly args: readonly string[]; readonly what: string } | undefined;

/** Node's arguments that run the CLI: the build when it is current, the sources otherwise (see the top of this file). */
export function cliCommand(): { readonly args: readonly string[]; readonly what: string } {
  if (cliArgs) return cliArgs;
  const built = join(REPO, "dist/cli/main.js");
  const fresh = existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(REPO, "src"));
  cliArgs = fresh
    ? { args: [built], what: "dist/cli/main.js (the build is current)" }
    : { args: ["--import", "tsx", join(REPO, "src/cli/main.ts")], what: "src/cli/main.ts via tsx (dist/ is missing or older than src/; `npm run build` makes starts faster)" };
  return cliArgs;
}

/** What a CLI run left: its exit, and everything it printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The developer's CMY_* variables left out: each test sets the ones it is about. */
export function cliEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { CMY_LOG_LEVEL: "warn" };
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("CMY_")) clean[name] = value;
  return { ...clean, ...env };
}

/** Runs the CLI from the repository with stdin closed; killed after 20 s (a command that starts serving instead of answering). */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...cliCommand().args, ...args], { cwd: REPO, env: cliEnvironment(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
