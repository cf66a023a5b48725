import { readFile } from "node:fs/promises";
import type { ZodError } from "zod";
import { configSchema, type Config } from "./schema.js";
import { parseListenList } from "./listen-address.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** How a text value (an environment variable, a flag) becomes a config value: as is, a listen list, or a whole number. */
type ValueKind = "string" | "list" | "integer";

/** The keys an operator can set on the command line (`serve --irc-listen ...`), and where each goes. */
export const overrideKeys = {
  dataDir: [["dataDir"], "string"],
  ircListen: [["irc", "listen"], "list"],
  ircTlsListen: [["irc", "tlsListen"], "list"],
  ftpListen: [["ftp", "listen"], "list"],
  httpListen: [["http", "listen"], "list"],
  logLevel: [["log", "level"], "string"],
} as const satisfies Record<string, readonly [readonly string[], ValueKind]>;

export type ConfigOverrides = { readonly [K in keyof typeof overrideKeys]?: string };

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

/** Environment variables are the stable scripting interface; keep these names. */
const environmentKeys: ReadonlyArray<[string, readonly string[], ValueKind]> = [
  ["CMY_DATA_DIR", ["dataDir"], "string"],
  ["CMY_SERVER_NAME", ["server", "name"], "string"],
  ["CMY_LOG_LEVEL", ["log", "level"], "string"],
  ["CMY_LOG_FORMAT", ["log", "format"], "string"],
  ["CMY_TLS_CERT", ["tls", "certFile"], "string"],
  ["CMY_DATABASE_URL", ["database", "url"], "string"],
  ["CMY_TLS_KEY", ["tls", "keyFile"], "string"],
  ["CMY_IRC_LISTEN", ["irc", "listen"], "list"],
  ["CMY_IRC_TLS_LISTEN", ["irc", "tlsListen"], "list"],
  ["CMY_FTP_LISTEN", ["ftp", "listen"], "list"],
  ["CMY_HTTP_LISTEN", ["http", "listen"], "list"],
  ["CMY_METRICS_LISTEN", ["metrics", "listen"], "list"],
  ["CMY_HTTP_JWT_KEY", ["http", "jwtKeyFile"], "string"],
  ["CMY_HTTP_PUBLIC_URL", ["http", "publicUrl"], "string"],
  ["CMY_REDIS_URL", ["cluster", "redisUrl"], "string"],
  ["CMY_NODE_NAME", ["cluster", "nodeName"], "string"],
  ["CMY_FTP_PUBLIC_ADDRESS", ["ftp", "publicAddress"], "string"],
  ["CMY_FTP_PASSIVE_PORT_MIN", ["ftp", "passivePortMin"], "integer"],
  ["CMY_FTP_PASSIVE_PORT_MAX", ["ftp", "passivePortMax"], "integer"],
];

/** The names above, for the help text and its test. */
export const environmentVariableNames: readonly string[] = environmentKeys.map(([name]) => name);

export function formatZodError(error: ZodError, source: string): string {
  const lines = error.issues.flatMap((issue) => {
    // A misspelt key would otherwise leave its setting at the default without a word.
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => `  ${[...issue.path, key].join(".")}: not a setting (misspelt? config.example.yaml lists them)`);
    const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    return [`  ${key}: ${issue.message}`];
  });
  return `invalid configuration (${source}):\n${lines.join("\n")}`;
}

/** Reads a YAML config file into a plain tree, naming the file in every error. */
export async function readConfigFile(file: string): Promise<Tree> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // Loaded on use: most starts have no file, and the parser costs start-up time.
  const { parse: parseYaml } = await import("yaml");
  let tree: unknown;
  try {
    tree = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) {
    throw new ConfigError(`config file ${file} must hold a mapping of keys (see config.example.yaml)`);
  }
  return tree as Tree;
}

export function validateConfig(tree: unknown, source: string): Config {
  const result = configSchema.safeParse(tree);
  if (!result.success) throw new ConfigError(formatZodError(result.error, source));
  return deepFreeze(result.data);
}

/**
 * Builds the effective configuration: defaults < file < CMY_* environment < flags.
 * Validation happens once, on the merged tree, so an error names the final key.
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides = {},
): Promise<Config> {
  const tree: Tree = file ? await readConfigFile(file) : {};
  const apply = (source: string, path: readonly string[], kind: ValueKind, value: string | undefined): void => {
    if (value !== undefined) setPath(tree, path, parseValue(source, path, kind, value));
  };
  for (const [name, path, kind] of environmentKeys) apply(name, path, kind, env[name]);
  for (const [key, [path, kind]] of Object.entries(overrideKeys)) apply(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, path, kind, overrides[key as keyof ConfigOverrides]);
  const sources = [file ? `file ${file}` : "defaults", "environment", "flags"].join(" + ");
  return validateConfig(tree, sources);
}

/** `value` as the config wants it; `source` (the variable or flag) is named when it cannot be. */
function parseValue(source: string, path: readonly string[], kind: ValueKind, value: string): unknown {
  if (kind === "list") return parseListenList(value);
  if (kind === "integer") {
    const trimmed = value.trim();
    // Digits only: Number() would also take "", "0x10", "1e3" or "12.0".
    if (!/^-?\d{1,15}$/.test(trimmed)) throw new ConfigError(`${source} must be a whole number (it sets ${path.join(".")}), not ${JSON.stringify(value)}`);
    return Number(trimmed);
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
