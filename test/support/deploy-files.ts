/**
 * Reading the deployment files in deploy/ the way the tools that use them would, for the
 * static checks in test/deploy (this machine has a Docker client but no engine: nothing
 * is built or started). Each reader understands just the syntax the files use and fails
 * loudly on anything else, so a file the reader does not understand is never passed silently.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { environmentVariableNames, loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DEPLOY_DIR = join(REPO_ROOT, "deploy");

/** Every CMY_* name the server reads: the loader's table, plus CMY_CONFIG (read by the CLI for --config). */
export const KNOWN_ENVIRONMENT = new Set([...environmentVariableNames, "CMY_CONFIG"]);

export const readDeployText = (name: string): Promise<string> => readFile(join(DEPLOY_DIR, name), "utf8");

type Tree = Record<string, unknown>;

export function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A compose or stack file, with `<<: *anchor` merges resolved as Docker's loader does. */
export async function readDeployYaml(name: string): Promise<Tree> {
  const tree: unknown = parseYaml(await readDeployText(name), { merge: true });
  if (!isTree(tree)) throw new Error(`${name}: not a YAML mapping`);
  return tree;
}

/** The CMY_* names a text mentions anywhere (values, commands, comments). */
export function mentionedEnvironmentNames(text: string): string[] {
  return [...new Set(text.match(/\bCMY_[A-Z0-9_]+/g) ?? [])];
}

// ---- Dockerfile

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Instructions with line continuations joined and comment lines dropped (also inside a continuation, as Docker does). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === "" && line.trim() === "")) return;
    if (pending === "") startLine = index + 1;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const whole = (pending + line).trim();
    pending = "";
    const match = /^(\S+)\s*(.*)$/.exec(whole);
    if (!match) throw new Error(`Dockerfile line ${startLine}: cannot read "${whole}"`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: startLine });
  });
  if (pending !== "") throw new Error("Dockerfile ends inside a line continuation");
  return instructions;
}

/** Splits on white space as a shell would for these files: double quotes group (and are removed), backslash escapes inside them. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === "\\" && i + 1 < text.length) word += text[++i]!;
      else if (c === '"') quoted = false;
      else word += c;
    } else if (c === '"') {
      word ??= "";
      quoted = true;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quoted) throw new Error(`unclosed quote in: ${text}`);
  if (word !== null) words.push(word);
  return words;
}

/** `ENV A=1 B="x y"` or the old `ENV A 1`. */
export function parseEnvInstruction(args: string): Array<[string, string]> {
  const words = shellWords(args);
  if (words.length === 2 && !words[0]!.includes("=")) return [[words[0]!, words[1]!]];
  return words.map((word) => {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new Error(`ENV ${args}: "${word}" is not NAME=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** `EXPOSE 6667 30000-30019/tcp` → every port number. */
export function parsePortList(args: string): number[] {
  return shellWords(args).flatMap((word) => expandPortRange(word.replace(/\/tcp$/, "")));
}

function expandPortRange(text: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a port or a port range`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (last < first || last - first > 1000) throw new Error(`"${text}" is not a sensible port range`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export interface DockerImage {
  readonly instructions: Instruction[];
  /** Instructions per stage, from its FROM on. */
  readonly stages: Instruction[][];
  /** The image each FROM names, with build ARG defaults put in. */
  readonly baseImages: string[];
  /** ENV of the final stage: what a container of the image starts with. */
  readonly env: Record<string, string>;
}

export async function readDockerfile(): Promise<DockerImage> {
  const instructions = parseDockerfile(await readDeployText("Dockerfile"));
  const args: Record<string, string> = {};
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") stages.push([]);
    if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`Dockerfile line ${instruction.line}: only ARG may come before the first FROM`);
      const [name, value = ""] = instruction.args.split("=", 2);
      args[name!.trim()] = value.trim();
    } else {
      stages[stages.length - 1]!.push(instruction);
    }
  }
  const baseImages = stages.map((stage) => {
    const from = shellWords(stage[0]!.args)[0]!;
    return from.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? "");
  });
  const env: Record<string, string> = {};
  for (const instruction of stages[stages.length - 1] ?? []) {
    if (instruction.keyword === "ENV") for (const [name, value] of parseEnvInstruction(instruction.args)) env[name] = value;
  }
  return { instructions, stages, baseImages, env };
}

// ---- compose / stack

/** Compose's `${VAR}` interpolation with the files' own defaults: `:-x` gives x, a required `:?` variable a stand-in. */
export function interpolate(value: string): string {
  return value
    .replace(/\$\{(\w+)(?::?-([^}]*))?(?::?\?([^}]*))?\}/g, (_, _name: string, fallback: string | undefined, required: string | undefined) =>
      fallback !== undefined ? fallback : required !== undefined ? "stand-in" : "",
    )
    .replace(/\$\$/g, "$");
}

/** A service's `environment`, in either the mapping or the list form, interpolated. */
export function serviceEnvironment(service: Tree): Record<string, string> {
  const environment = service["environment"];
  const result: Record<string, string> = {};
  if (environment === undefined) return result;
  if (Array.isArray(environment)) {
    for (const entry of environment as string[]) {
      const eq = entry.indexOf("=");
      result[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? "" : interpolate(entry.slice(eq + 1));
    }
  } else if (isTree(environment)) {
    for (const [name, value] of Object.entries(environment)) result[name] = interpolate(String(value ?? ""));
  } else {
    throw new Error("environment is neither a list nor a mapping");
  }
  return result;
}

export interface PublishedPort {
  readonly host: number | undefined;
  readonly container: number;
  /** "host" for Swarm's host-mode publishing, "ingress" (the routing mesh) otherwise. */
  readonly mode: string;
}

/** A service's `ports`, short ("8080:8080", "30000-30019:30000-30019") or long form, one entry per port. */
export function publishedPorts(service: Tree): PublishedPort[] {
  const ports = service["ports"];
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new Error("ports is not a list");
  return ports.flatMap((entry: unknown): PublishedPort[] => {
    if (isTree(entry)) {
      const published = entry["published"];
      return [{ host: published === undefined ? undefined : Number(published), container: Number(entry["target"]), mode: String(entry["mode"] ?? "ingress") }];
    }
    const text = String(entry).replace(/\/tcp$/, "");
    const parts = text.split(":");
    const containerPorts = expandPortRange(parts[parts.length - 1]!);
    const hostPorts = parts.length >= 2 ? expandPortRange(parts[parts.length - 2]!) : undefined;
    if (hostPorts && hostPorts.length !== containerPorts.length) throw new Error(`ports "${text}": host and container ranges differ in length`);
    return containerPorts.map((container, i) => ({ host: hostPorts?.[i], container, mode: "ingress" }));
  });
}

export interface Mount {
  readonly source: string;
  readonly target: string;
  /** A bind mount of a file or directory beside the compose file (source starts with . or /). */
  readonly bind: boolean;
}

/** A service's `volumes` in the short form `source:target[:ro]`. */
export function serviceMounts(service: Tree): Mount[] {
  const volumes = service["volumes"];
  if (volumes === undefined) return [];
  if (!Array.isArray(volumes)) throw new Error("volumes is not a list");
  return volumes.map((entry: unknown) => {
    if (typeof entry !== "string") throw new Error(`volume ${JSON.stringify(entry)}: only the short form is read here`);
    const [source, target] = entry.split(":");
    if (!source || !target) throw new Error(`volume "${entry}" is not source:target`);
    return { source, target, bind: source.startsWith(".") || source.startsWith("/") };
  });
}

export function services(file: Tree): Record<string, Tree> {
  const all = file["services"];
  if (!isTree(all)) throw new Error("no services");
  return Object.fromEntries(Object.entries(all).map(([name, service]) => {
    if (!isTree(service)) throw new Error(`service ${name} is not a mapping`);
    return [name, service];
  }));
}

/** Whether a service runs this project's image (built from deploy/Dockerfile or named cmymessage). */
export function runsCmyMessage(service: Tree): boolean {
  const build = service["build"];
  if (isTree(build) && build["dockerfile"] === "deploy/Dockerfile") return true;
  return /cmymessage/i.test(String(service["image"] ?? ""));
}

/**
 * The configuration a CmyMessage container of a compose or stack service starts with:
 * the image's ENV, then the service's environment, then the file CMY_CONFIG names,
 * found on the host through the bind mount (compose) or Swarm config (stack) that puts it there.
 */
export async function containerConfig(file: Tree, service: Tree, image: DockerImage, substitute: Record<string, string> = {}): Promise<{ config: Config; env: Record<string, string> }> {
  const env: Record<string, string> = { ...image.env, ...serviceEnvironment(service) };
  for (const [name, value] of Object.entries(env)) {
    env[name] = value.replace(/\{\{\s*\.(\w+(?:\.\w+)*)\s*\}\}/g, (whole, key: string) => {
      const stand = substitute[key];
      if (stand === undefined) throw new Error(`${name}: no stand-in for the template ${whole}`);
      return stand;
    });
  }
  const configPath = env["CMY_CONFIG"];
  const hostFile = configPath === undefined ? undefined : hostPathOf(file, service, configPath);
  const config = await loadConfig(hostFile, env);
  return { config, env };
}

function hostPathOf(file: Tree, service: Tree, containerPath: string): string {
  for (const mount of serviceMounts(service)) {
    if (mount.target === containerPath && mount.bind) return isAbsolute(mount.source) ? mount.source : resolve(DEPLOY_DIR, mount.source);
  }
  const configs = service["configs"];
  if (Array.isArray(configs)) {
    for (const entry of configs) {
      if (isTree(entry) && entry["target"] === containerPath) {
        const definition = (file["configs"] as Tree | undefined)?.[String(entry["source"])];
        if (isTree(definition) && typeof definition["file"] === "string") return resolve(DEPLOY_DIR, definition["file"]);
      }
    }
  }
  throw new Error(`CMY_CONFIG=${containerPath}: no bind mount or Swarm config puts a file there`);
}

// ---- what a node listens on

/** Every TCP port a node with this configuration listens on (passive FTP range included). */
export function listenedPorts(config: Config): Set<number> {
  const ports = new Set<number>();
  for (const address of [...config.irc.listen, ...config.irc.tlsListen, ...config.ftp.listen, ...config.http.listen]) ports.add(address.port);
  const { passivePortMin, passivePortMax } = config.ftp;
  if (passivePortMin > 0 && passivePortMax >= passivePortMin) for (let port = passivePortMin; port <= passivePortMax; port++) ports.add(port);
  return ports;
}

// ---- external tools

/**
 * CI (CI=true) and CMY_TEST_REQUIRE_DEPLOY_TOOLS=1 make a missing checker a failure; elsewhere
 * the test is marked skipped with the reason, so the run does not count it as checked.
 */
export const TOOLS_REQUIRED = process.env["CI"] === "true" || process.env["CMY_TEST_REQUIRE_DEPLOY_TOOLS"] === "1";

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a checker (no shell, fixed arguments); undefined when the program is not installed. */
export function runTool(program: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ToolRun | undefined> {
  return new Promise((done, fail) => {
    execFile(program, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return done(undefined);
      if (error && typeof error.code !== "number") return fail(error);
      done({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** The tool's result, or a skip (or, where tools are required, a failure) naming the package that brings it. */
export async function requireTool(t: TestContext, program: string, args: readonly string[], packageHint: string, options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<ToolRun | undefined> {
  const run = await runTool(program, args, options);
  if (run) return run;
  const why = `${program} is not installed (${packageHint}): this check did not run`;
  if (TOOLS_REQUIRED) throw new Error(`${why}, and CI=true or CMY_TEST_REQUIRE_DEPLOY_TOOLS=1 requires it`);
  t.skip(why);
  return undefined;
}
