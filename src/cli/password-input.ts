import { text } from "node:stream/consumers";
import { CommandFailed, UsageError } from "./errors.js";

const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const ERASE = new Set(["\u007f", "\b"]);

/**
 * The password for a command: from `--password` (visible in `ps` and the shell's history, so
 * docs/accounts.md advises against it), typed at a terminal (asked for, not echoed, ended by
 * Enter), or the first line of what is piped on stdin.
 */
export async function readPassword(flag: string | undefined): Promise<string> {
  const password = flag ?? (process.stdin.isTTY ? await typedPassword("Password: ") : firstLine(await text(process.stdin)));
  if (password === "") throw new UsageError("no password given (type it when asked, pipe it on stdin, or use --password)");
  return password;
}

function firstLine(input: string): string {
  return input.split(/\r?\n/)[0] ?? "";
}

/** One line typed at the terminal with echo off: Enter ends it, Backspace erases, Ctrl-C gives up. */
function typedPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: what is typed after it must never appear.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error?: Error): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed.join(""));
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString("utf8")) {
        if (ENTER.has(char) || char === CTRL_D) return finish();
        if (char === CTRL_C) return finish(new CommandFailed("cancelled"));
        if (ERASE.has(char)) typed = typed.slice(0, -1);
        else typed.push(char);
      }
    };
    stdin.on("data", onData);
  });
}
