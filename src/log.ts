import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type pinoPretty from "pino-pretty";
import type { Config } from "./config/schema.js";

/** Keys that may hold secrets; pino replaces their values before anything is written. */
const REDACT = ["password", "passwordHash", "*.password", "*.passwordHash", "token", "*.token", "authorization", "*.authorization"];

/** JSON lines for machines; readable lines when a person watches a terminal. */
export function createLogger(config: Config["log"], stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const readable = config.format === "pretty" || (config.format === "auto" && stream.isTTY === true);
  const options = { level: config.level, redact: { paths: REDACT, censor: "[redacted]" }, base: { pid: process.pid } };
  if (readable) {
    // Required only here: a server whose logs go to a file or a collector never loads it (start-up time).
    const pretty = createRequire(import.meta.url)("pino-pretty") as typeof pinoPretty;
    return pino(options, pretty({ destination: stream, colorize: stream.isTTY === true, sync: true, ignore: "pid,hostname" }));
  }
  return pino(options, stream);
}
