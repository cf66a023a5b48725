import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { Config } from "./config/schema.js";

/** Keys that may hold secrets; pino replaces their values before anything is written. */
const REDACT = ["password", "passwordHash", "*.password", "*.passwordHash", "token", "*.token", "authorization", "*.authorization"];

/** JSON lines for machines; readable lines when a person watches a terminal. */
export function createLogger(config: Config["log"], stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const readable = config.format === "pretty" || (config.format === "auto" && stream.isTTY === true);
  const options = { level: config.level, redact: { paths: REDACT, censor: "[redacted]" }, base: { pid: process.pid } };
  if (readable) return pino(options, pretty({ destination: stream, colorize: stream.isTTY === true, sync: true, ignore: "pid,hostname" }));
  return pino(options, stream);
}
