import { parseArgs } from "node:util";
import { loadConfig, type ConfigOverrides } from "../config/load.js";
import type { Config } from "../config/schema.js";

/** Options every command that reads the configuration accepts. */
export const configOptions = {
  config: { type: "string" },
  "data-dir": { type: "string" },
  "irc-listen": { type: "string" },
  "irc-tls-listen": { type: "string" },
  "http-listen": { type: "string" },
  "log-level": { type: "string" },
} as const;

export type ConfigFlagValues = { [K in keyof typeof configOptions]?: string };

export function configLoader(values: ConfigFlagValues): () => Promise<Config> {
  const file = values.config ?? process.env["CMY_CONFIG"];
  const overrides: ConfigOverrides = {
    ...(values["data-dir"] !== undefined && { dataDir: values["data-dir"] }),
    ...(values["irc-listen"] !== undefined && { ircListen: values["irc-listen"] }),
    ...(values["irc-tls-listen"] !== undefined && { ircTlsListen: values["irc-tls-listen"] }),
    ...(values["http-listen"] !== undefined && { httpListen: values["http-listen"] }),
    ...(values["log-level"] !== undefined && { logLevel: values["log-level"] }),
  };
  return () => loadConfig(file, process.env, overrides);
}

export function parseWithConfig<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], extra: T) {
  return parseArgs({ args, options: { ...configOptions, ...extra }, strict: true, allowPositionals: true });
}
