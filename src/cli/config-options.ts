import { parseArgs } from "node:util";
import { loadConfig, overrideKeys, type ConfigOverrides } from "../config/load.js";
import type { Config } from "../config/schema.js";

type OverrideKey = keyof typeof overrideKeys;

/** `ircTlsListen` → `irc-tls-listen`: each override key is a flag of the same name. */
const flagOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Options every command that reads the configuration accepts: --config and one flag per override key. */
export const configOptions = {
  config: { type: "string" },
  ...Object.fromEntries(Object.keys(overrideKeys).map((key) => [flagOf(key), { type: "string" }])),
} as Record<string, { type: "string" }>;

export type ConfigFlagValues = Record<string, string | boolean | undefined>;

export function configLoader(values: ConfigFlagValues): () => Promise<Config> {
  const file = typeof values["config"] === "string" ? values["config"] : process.env["CMY_CONFIG"];
  const overrides: { [K in OverrideKey]?: string } = {};
  for (const key of Object.keys(overrideKeys) as OverrideKey[]) {
    const value = values[flagOf(key)];
    if (typeof value === "string") overrides[key] = value;
  }
  return () => loadConfig(file, process.env, overrides as ConfigOverrides);
}

export function parseWithConfig<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], extra: T) {
  return parseArgs({ args, options: { ...configOptions, ...extra }, strict: true, allowPositionals: true });
}
