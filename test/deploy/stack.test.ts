/**
 * deploy/stack.yaml (Docker Swarm): read as YAML and checked against the server, and, where
 * the Docker client is installed, validated by `docker stack config` (the client's own
 * schema check and interpolation; it needs no engine).
 */
import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  DEPLOY_DIR,
  KNOWN_ENVIRONMENT,
  REPO_ROOT,
  containerConfig,
  isTree,
  listenedPorts,
  mentionedEnvironmentNames,
  publishedPorts,
  readDeployText,
  readDeployYaml,
  readDockerfile,
  requireTool,
  runsCmyMessage,
  serviceMounts,
  services,
  type DockerImage,
} from "../support/deploy-files.js";

type Tree = Record<string, unknown>;

describe("deploy/stack.yaml", () => {
  let file: Tree;
  let image: DockerImage;
  let node: Tree;
  let nodeName: string;
  before(async () => {
    file = await readDeployYaml("stack.yaml");
    image = await readDockerfile();
    const found = Object.entries(services(file)).filter(([, service]) => runsCmyMessage(service));
    assert.equal(found.length, 1, "one node service, replicated");
    [nodeName, node] = found[0]!;
  });

  const deploy = (): Tree => node["deploy"] as Tree;

  test("every CMY_* name is one the server reads", async () => {
    for (const name of mentionedEnvironmentNames(await readDeployText("stack.yaml"))) assert.ok(KNOWN_ENVIRONMENT.has(name), `${name} is not read by the server`);
  });

  test("three replicas, each named after its slot with a valid, distinct node name", async () => {
    assert.equal(deploy()["replicas"], 3);
    const names = new Set<string>();
    for (const slot of ["1", "2", "3"]) {
      const { config, env } = await containerConfig(file, node, image, { "Task.Slot": slot });
      assert.match(env["CMY_NODE_NAME"] ?? "", new RegExp(slot));
      names.add(config.cluster.nodeName);
    }
    assert.equal(names.size, 3);
    assert.match(String((node["environment"] as Tree)["CMY_NODE_NAME"]), /\{\{\s*\.Task\.Slot\s*\}\}/);
  });

  test("rolling update one task at a time, stop-first (host-mode FTP ports cannot be held twice on a host); restart policy; health check", async () => {
    const update = deploy()["update_config"] as Tree;
    assert.equal(update["parallelism"], 1);
    assert.equal(update["order"], "stop-first");
    assert.ok(isTree(deploy()["restart_policy"]));
    const healthcheck = node["healthcheck"] as Tree;
    const argv = healthcheck["test"] as string[];
    assert.deepEqual(argv.slice(0, 2), ["CMD", "node"]);
    await access(join(REPO_ROOT, argv[2]!.replace(/^dist\//, "src/").replace(/\.js$/, ".ts")));
    assert.equal((deploy()["placement"] as Tree)["max_replicas_per_node"], 1);
  });

  test("published ports are ports the node listens on; the passive range is published in host mode, unchanged", async () => {
    const { config } = await containerConfig(file, node, image, { "Task.Slot": "1" });
    const listened = listenedPorts(config);
    const ports = publishedPorts(node);
    for (const port of ports) assert.ok(listened.has(port.container), `${port.container} is published but not listened on`);
    const { passivePortMin: min, passivePortMax: max } = config.ftp;
    const passive = ports.filter((p) => p.container >= min && p.container <= max);
    assert.equal(passive.length, max - min + 1);
    for (const port of [...passive, ...ports.filter((p) => p.container === config.ftp.listen[0]!.port)]) {
      assert.equal(port.mode, "host", `FTP port ${port.container} through the routing mesh would reach any task`);
      assert.equal(port.host, port.container);
    }
    for (const address of [...config.irc.listen, ...config.irc.tlsListen, ...config.http.listen]) {
      assert.ok(ports.some((p) => p.container === address.port), `${address.port} is not published`);
    }
  });

  test("PostgreSQL and Redis of this stack, the password as a secret, files on a shared volume, an overlay network", async () => {
    const all = services(file);
    const { config } = await containerConfig(file, node, image, { "Task.Slot": "1" });
    assert.ok(new URL(config.cluster.redisUrl).hostname in all);
    // The database URL is put together from the secret at start: the wrapper must hand over to the server.
    const entrypoint = (node["entrypoint"] as string[]).join(" ");
    const url = /CMY_DATABASE_URL="postgres:\/\/(\w+):\$\$\(cat \/run\/secrets\/(\w+)\)@(\w+):5432\/(\w+)"/.exec(entrypoint);
    assert.ok(url, "CMY_DATABASE_URL from the secret file");
    assert.match(entrypoint, /exec node dist\/cli\/main\.js "\$\$@"/);
    const [, user, secret, host, database] = url;
    assert.ok((node["secrets"] as string[]).includes(secret!));
    const postgres = all[host!]!;
    const postgresEnv = postgres["environment"] as Tree;
    assert.equal(postgresEnv["POSTGRES_USER"], user);
    assert.equal(postgresEnv["POSTGRES_DB"], database);
    assert.equal(postgresEnv["POSTGRES_PASSWORD_FILE"], `/run/secrets/${secret}`);
    assert.ok((postgres["secrets"] as string[]).includes(secret!));

    const files = serviceMounts(node).find((m) => m.target === `${config.dataDir}/files`);
    assert.ok(files && !files.bind, "the files volume at <dataDir>/files");
    const volume = (file["volumes"] as Tree)[files.source] as Tree;
    assert.ok(isTree(volume["driver_opts"]), "a volume shared between Swarm hosts needs a network file system");

    for (const network of node["networks"] as string[]) assert.equal(((file["networks"] as Tree)[network] as Tree)["driver"], "overlay");
  });

  test("docker stack config accepts it (the Docker client's schema and interpolation)", async (t) => {
    const env = { ...process.env, FILES_NFS_SERVER: "192.0.2.10", FILES_NFS_PATH: "/export/files" };
    const run = await requireTool(t, "docker", ["stack", "config", "-c", "stack.yaml"], "the Docker client (docker.io, or docker-ce-cli)", { cwd: DEPLOY_DIR, env });
    if (!run) return;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`services:\\n  ${nodeName}:`));
  });

  test("docker stack config refuses to deploy without the shared files' location", async (t) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("FILES_NFS_")));
    const run = await requireTool(t, "docker", ["stack", "config", "-c", "stack.yaml"], "the Docker client (docker.io, or docker-ce-cli)", { cwd: DEPLOY_DIR, env });
    if (!run) return;
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /FILES_NFS_(SERVER|PATH)/);
  });
});
