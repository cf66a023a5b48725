/**
 * deploy/Dockerfile, checked without a container engine: the rules a Dockerfile linter
 * would apply to this file (hadolint is not in Debian, and no npm linter is kept up well
 * enough to depend on), and the agreement between the image and the server it runs:
 * ports exposed = ports listened on, the volume = the data directory, the entry point and
 * health check = files the build makes.
 */
import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import {
  KNOWN_ENVIRONMENT,
  REPO_ROOT,
  listenedPorts,
  mentionedEnvironmentNames,
  parseDockerfile,
  parsePortList,
  readDeployText,
  readDockerfile,
  shellWords,
  type DockerImage,
  type Instruction,
} from "../support/deploy-files.js";

let image: DockerImage;
before(async () => {
  image = await readDockerfile();
});

const all = (keyword: string, stage?: Instruction[]): Instruction[] => (stage ?? image.instructions).filter((i) => i.keyword === keyword);
const finalStage = (): Instruction[] => image.stages[image.stages.length - 1]!;
const jsonArray = (instruction: Instruction): string[] => {
  const value: unknown = JSON.parse(instruction.args);
  assert.ok(Array.isArray(value) && value.every((v) => typeof v === "string"), `line ${instruction.line}: ${instruction.keyword} must be in exec (JSON array) form`);
  return value as string[];
};
/** src/x.ts for dist/x.js: what `npm run build` (tsc, rootDir src) turns into it. */
const sourceOf = (distFile: string): string => join(REPO_ROOT, distFile.replace(/^dist\//, "src/").replace(/\.js$/, ".ts"));

describe("deploy/Dockerfile", () => {
  test("the parser reads continuations, comments and both ENV forms", () => {
    const parsed = parseDockerfile("FROM a\n# note\nRUN one \\\n  # inside\n  two\nENV A=1 B=\"x y\"\n");
    assert.deepEqual(parsed.map((i) => [i.keyword, i.args]), [["FROM", "a"], ["RUN", "one    two"], ["ENV", 'A=1 B="x y"']]);
    assert.deepEqual(shellWords('A=1 B="x y"'), ["A=1", "B=x y"]);
  });

  test("is multi-stage, and every stage's base image is pinned to one tag (the same, so the native addon's ABI matches)", () => {
    assert.ok(image.stages.length >= 2, "a build stage and a runtime stage");
    for (const base of image.baseImages) {
      assert.match(base, /^[\w./-]+:[\w.-]+$/, `"${base}" names no tag`);
      assert.doesNotMatch(base, /:latest$/, `"${base}" floats on latest`);
      assert.match(base, /^node:20[.\w-]*$/, `"${base}" is not a Node 20 image`);
    }
    assert.equal(new Set(image.baseImages).size, 1, `build and runtime bases differ: ${image.baseImages.join(", ")}`);
  });

  test("the build stage installs with npm ci, builds, and keeps only production dependencies", async () => {
    const runs = all("RUN", image.stages[0]).map((i) => i.args).join("\n");
    assert.match(runs, /\bnpm ci\b/);
    assert.match(runs, /\bnpm run build\b/);
    assert.match(runs, /\bnpm prune --omit=dev\b/);
    const npmrc = await readFile(join(REPO_ROOT, ".npmrc"), "utf8");
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    if (/^build-from-source\s*=\s*true/m.test(npmrc) && "better-sqlite3" in manifest.dependencies) {
      for (const tool of ["python3", "make", "g++"]) assert.match(runs, new RegExp(`install[^\\n]*\\s${tool.replace("+", "\\+")}(\\s|$)`), `better-sqlite3 is compiled from source: the build stage needs ${tool}`);
    }
  });

  test("what the build copies exists and is not excluded by .dockerignore", async () => {
    const ignored = (await readFile(join(REPO_ROOT, ".dockerignore"), "utf8")).split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const required of ["node_modules", "dist", "data", ".git"]) assert.ok(ignored.includes(required), `.dockerignore should leave out ${required}`);
    for (const copy of all("COPY", image.stages[0])) {
      const words = shellWords(copy.args).filter((w) => !w.startsWith("--"));
      for (const source of words.slice(0, -1)) {
        await access(join(REPO_ROOT, source));
        assert.ok(!ignored.includes(source), `${source} is copied but .dockerignore leaves it out`);
      }
    }
  });

  test("apt: no recommends, lists removed; no ADD, no sudo, absolute WORKDIR, exec-form ENTRYPOINT/CMD/HEALTHCHECK", () => {
    for (const run of all("RUN")) {
      if (/apt-get install/.test(run.args)) {
        assert.match(run.args, /--no-install-recommends/, `line ${run.line}`);
        assert.match(run.args, /-y\b/, `line ${run.line}: non-interactive`);
        assert.match(run.args, /rm -rf \/var\/lib\/apt\/lists/, `line ${run.line}: the package lists stay in the layer`);
      }
      assert.doesNotMatch(run.args, /\bsudo\b/, `line ${run.line}`);
    }
    assert.deepEqual(all("ADD"), [], "COPY, not ADD, for local files");
    for (const workdir of all("WORKDIR")) assert.match(workdir.args, /^\//, `line ${workdir.line}: WORKDIR must be absolute`);
    for (const keyword of ["ENTRYPOINT", "CMD"]) assert.equal(all(keyword, finalStage()).length, 1, `one ${keyword}`);
    jsonArray(all("CMD", finalStage())[0]!);
  });

  test("runs as a numeric non-root user", () => {
    const users = all("USER", finalStage());
    assert.equal(users.length, 1);
    const [uid, gid] = users[0]!.args.split(":");
    assert.match(uid!, /^\d+$/, "numeric, so runAsNonRoot-style checks can see it is not root");
    assert.notEqual(Number(uid), 0);
    if (gid !== undefined) assert.notEqual(Number(gid), 0);
    // USER comes after every RUN of the stage (nothing later runs as root by accident) and before ENTRYPOINT.
    const stage = finalStage();
    const userIndex = stage.indexOf(users[0]!);
    assert.ok(stage.slice(userIndex).every((i) => i.keyword !== "RUN"));
  });

  test("one VOLUME, the data directory the server is told to use", () => {
    const volumes = all("VOLUME", finalStage());
    assert.equal(volumes.length, 1);
    assert.equal(volumes[0]!.args, "/data");
    assert.equal(image.env["CMY_DATA_DIR"], "/data");
  });

  test("the data directory is made 0700 and owned by the user the server runs as (a new volume takes both)", () => {
    // mkdir as root gives 0755, and the server then warns at every start that the data directory is open to other users.
    const [uid, gid = uid] = all("USER", finalStage())[0]!.args.split(":");
    const made = all("RUN", finalStage()).flatMap((run) => run.args.split(/&&|;/).map((command) => shellWords(command.trim())));
    const install = made.find((words) => words[0] === "install" && words.includes("-d") && words.includes("/data"));
    assert.ok(install, "the final stage makes /data with install -d (mode and owner in one step)");
    const option = (name: string): string | undefined => install[install.indexOf(name) + 1];
    assert.equal(option("-m"), "0700");
    assert.equal(option("-o"), uid);
    assert.equal(option("-g"), gid);
    assert.ok(!made.some((words) => words[0] === "mkdir" && words.some((w) => w.startsWith("/data"))), "no other mkdir of /data (its mode would be the umask's)");
    assert.ok(!made.some((words) => words[0] === "chmod" && words.some((w) => w.startsWith("/data"))), "no chmod undoing it");
  });

  test("every CMY_* name in the Dockerfile is one the server reads", async () => {
    const text = await readDeployText("Dockerfile");
    for (const name of [...mentionedEnvironmentNames(text), ...Object.keys(image.env).filter((n) => n.startsWith("CMY_"))]) {
      assert.ok(KNOWN_ENVIRONMENT.has(name), `${name} is not read by the server`);
    }
  });

  test("EXPOSE names exactly the ports a container of the image listens on", async () => {
    const config = await loadConfig(undefined, image.env);
    for (const address of [...config.irc.listen, ...config.irc.tlsListen, ...config.ftp.listen, ...config.http.listen]) {
      assert.ok(address.host === "::" || address.host === "0.0.0.0", `${address.host}:${address.port} is not on every interface`);
    }
    const exposed = all("EXPOSE", finalStage()).flatMap((i) => parsePortList(i.args));
    assert.deepEqual([...new Set(exposed)].sort((a, b) => a - b), [...listenedPorts(config)].sort((a, b) => a - b));
    assert.ok(config.ftp.passivePortMin > 0, "a fixed passive range, so it can be published");
  });

  test("ENTRYPOINT and HEALTHCHECK run files that `npm run build` makes", async () => {
    const entrypoint = jsonArray(all("ENTRYPOINT", finalStage())[0]!);
    assert.equal(entrypoint[0], "node");
    await access(sourceOf(entrypoint[1]!));
    assert.deepEqual(jsonArray(all("CMD", finalStage())[0]!), ["serve"]);

    const healthchecks = all("HEALTHCHECK", finalStage());
    assert.equal(healthchecks.length, 1);
    const command = /\bCMD\s+(\[.*\])\s*$/.exec(healthchecks[0]!.args);
    assert.ok(command, "HEALTHCHECK ... CMD [exec form]");
    const argv = JSON.parse(command[1]!) as string[];
    assert.equal(argv[0], "node", "node itself: the slim image has no curl");
    await access(sourceOf(argv[1]!));
    const timeout = /--timeout=(\d+)s/.exec(healthchecks[0]!.args);
    assert.ok(timeout && Number(timeout[1]) > 3, "longer than the check's own 3 s request timeout");
  });
});
