import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatListenAddress, parseListenAddress, type ListenAddress } from "../../src/config/listen-address.js";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { REPO_ROOT } from "../engine/corpus-files.js";
import { invariant, type FuzzTarget } from "../engine/target.js";

let directory = "";
let file = "";

/**
 * The config loader from a file, as `serve --config` reads it: YAML text in, a config or
 * a ConfigError with a message out, never another exception. A config that loads is
 * frozen and its listen addresses print and parse back to themselves.
 */
export async function runConfigLoader(input: Buffer): Promise<void> {
  writeFileSync(file, input);
  let config: Config;
  try {
    config = await loadConfig(file, {});
  } catch (error) {
    invariant(error instanceof ConfigError, `loadConfig threw ${error instanceof Error ? error.name : typeof error}, not a ConfigError: ${String(error)}`);
    invariant(error.message.trim() !== "", "a ConfigError without a message");
    return;
  }
  checkFrozen(config, "config");
  const addresses: ListenAddress[] = [...config.irc.listen, ...config.irc.tlsListen, ...config.ftp.listen, ...config.http.listen, ...config.metrics.listen];
  for (const address of addresses) {
    invariant(Number.isInteger(address.port) && address.port >= 0 && address.port <= 65535, `listen port ${address.port}`);
    const again = parseListenAddress(formatListenAddress(address));
    invariant(typeof again !== "string" && again.host === address.host && again.port === address.port, `listen address ${JSON.stringify(address)} does not print and parse back: ${JSON.stringify(again)}`);
  }
}

function checkFrozen(value: unknown, path: string): void {
  if (typeof value !== "object" || value === null) return;
  invariant(Object.isFrozen(value), `${path} is not frozen`);
  for (const [key, child] of Object.entries(value)) checkFrozen(child, `${path}.${key}`);
}

/** The keys of config.example.yaml, and YAML's own syntax (anchors, aliases, merge keys, tags). */
function dictionary(): string[] {
  const keys = new Set<string>();
  for (const match of readFileSync(join(REPO_ROOT, "config.example.yaml"), "utf8").matchAll(/^\s*([A-Za-z][A-Za-z0-9]*):/gm)) keys.add(`${match[1]}: `);
  return [
    ...keys,
    ...["&a ", "*a", "<<: ", "!!str ", "!!int ", "!!binary ", "!!map ", "!!set ", "!!timestamp ", "? ", "- ", "[", "]", "{", "}", "|", ">-", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "~", "null", "true", "0x1F", "0o17", ".inf", "-.nan", "1e400", "-0", "\"\\u0000\"", "'", "\n  ", "__proto__: ", "constructor: ", "[::]:6667", "127.0.0.1:0", "[::1]:99999", "#general", "$argon2id$"],
  ];
}

export const configLoader: FuzzTarget = {
  name: "config-loader",
  description: "YAML config file → loadConfig: a config or a ConfigError, nothing else",
  dictionary: dictionary(),
  maxLength: 16384,
  setup() {
    directory = mkdtempSync(join(tmpdir(), "cmy-fuzz-config-"));
    file = join(directory, "config.yaml");
    return Promise.resolve();
  },
  run: runConfigLoader,
  teardown() {
    rmSync(directory, { recursive: true, force: true });
    return Promise.resolve();
  },
};
