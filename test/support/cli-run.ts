/**
 * The CLI as an operator runs it: a child process with an argument array (no shell),
 * settings from a config file only (no CMY_* variables from the developer's environment).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cliCommand } from "./cli-command.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { CMY_LOG_LEVEL: "warn" };
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("CMY_")) env[name] = value;
  return env;
}

/** Runs `cmymessage <args> --config <configFile>`; killed after 30 s. */
export function runCli(args: readonly string[], configFile: string): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...cliCommand().args, ...args, "--config", configFile], { cwd: root, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
