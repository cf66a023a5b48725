import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import type { TestContext } from "node:test";
import { cliCommand } from "./cli-command.js";
import { REPO_ROOT } from "./deploy-files.js";
import { waitFor } from "./wait.js";

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The plain IRC port it chose on 127.0.0.1. */
  readonly port: number;
  /** Log lines with `msg` so far (JSON). */
  messages(): string[];
}

/**
 * A real `cmymessage serve` in a child process: IRC on a loopback port of its choosing,
 * every other door off unless `env` says otherwise, logging JSON lines; killed after the
 * test. For tests of the whole program (signals, reloads), and for tests whose failure
 * would block the server's event loop: the test's own timeouts still run then.
 */
/** Each test's serve processes, so its scratch folders go only once they are gone (removeAfterServers). */
const running = new WeakMap<TestContext, Array<() => Promise<void>>>();

/**
 * Removes `dir` when the test ends, after its serve processes are killed: hooks run in the
 * order they were added, and a folder added before its server (`serveProcess(t, await
 * scratch(t))`) was removed while the server still wrote to it; the rm failed (ENOTEMPTY),
 * the hooks after it did not run, and the server, never killed, held the test file open.
 */
export function removeAfterServers(t: TestContext, dir: string): void {
  t.after(async () => {
    for (const stop of running.get(t) ?? []) await stop();
    await rm(dir, { recursive: true, force: true });
  });
}

export async function serveProcess(t: TestContext, dataDir: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CMY_")));
  const child = spawn(process.execPath, [...cliCommand().args, "serve"], {
    cwd: REPO_ROOT,
    env: { ...clean, CMY_DATA_DIR: dataDir, CMY_IRC_LISTEN: "127.0.0.1:0", CMY_IRC_TLS_LISTEN: "", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "", CMY_LOG_FORMAT: "json", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
  };
  running.set(t, [...(running.get(t) ?? []), stop]);
  t.after(stop);
  await waitFor(() => output.includes("CmyMessage is running") || child.exitCode !== null, { timeoutMs: 30_000, what: "the server to start" });
  const listening = output.split("\n").find((line) => line.includes('"IRC listening"'));
  if (!listening) throw new Error(`serve did not listen:\n${output}`);
  const port = (JSON.parse(listening) as { port: number }).port;
  return { child, port, messages: () => output.split("\n").filter((line) => line.includes(`"msg":`)) };
}
