/**
 * deploy/compose.yaml (one node) and deploy/compose.cluster.yaml (three nodes, PostgreSQL,
 * Redis, haproxy), read as YAML and checked against the server: every CMY_* name is one it
 * reads, every published port is one the node listens on with the environment the file
 * gives it (and the config file it mounts), the nodes of the cluster differ where they must.
 * No compose engine here: nothing is started.
 */
import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { Config } from "../../src/config/schema.js";
import {
  DEPLOY_DIR,
  KNOWN_ENVIRONMENT,
  containerConfig,
  listenedPorts,
  mentionedEnvironmentNames,
  publishedPorts,
  readDeployText,
  readDeployYaml,
  readDockerfile,
  runsCmyMessage,
  serviceMounts,
  services,
  type DockerImage,
} from "../support/deploy-files.js";
import { withHostVariables } from "./host-variables.js";

type Tree = Record<string, unknown>;

let image: DockerImage;
before(async () => {
  image = await readDockerfile();
});

type Nodes = Map<string, { config: Config; env: Record<string, string> }>;

/** The configuration each CmyMessage service of the file starts with. */
async function loadNodes(fileName: string): Promise<Nodes> {
  const file = withHostVariables(await readDeployYaml(fileName));
  const nodes: Nodes = new Map();
  for (const [name, service] of Object.entries(services(file))) {
    if (runsCmyMessage(service)) nodes.set(name, await containerConfig(file, service, image));
  }
  return nodes;
}

async function checkNamesAndPorts(fileName: string): Promise<Nodes> {
  const text = await readDeployText(fileName);
  for (const name of mentionedEnvironmentNames(text)) assert.ok(KNOWN_ENVIRONMENT.has(name), `${fileName}: ${name} is not read by the server`);
  const file = await readDeployYaml(fileName);
  const nodes = await loadNodes(fileName);
  for (const [name, node] of nodes) {
    const service = services(file)[name]!;
    const listened = listenedPorts(node.config);
    for (const port of publishedPorts(service)) {
      assert.ok(listened.has(port.container), `${fileName}: ${name} publishes ${port.container}, which it does not listen on (${[...listened].slice(0, 8).join(", ")}, ...)`);
    }
    // PASV and EPSV name the port the node listens on: a passive port must reach the host unchanged.
    const { passivePortMin: min, passivePortMax: max } = node.config.ftp;
    assert.ok(min > 0, `${fileName}: ${name} has no fixed passive range to publish`);
    for (const port of publishedPorts(service).filter((p) => p.container >= min && p.container <= max)) {
      assert.equal(port.host, port.container, `${fileName}: ${name}'s passive port ${port.container} is published as ${port.host}`);
    }
    const publishedPassive = publishedPorts(service).filter((p) => p.container >= min && p.container <= max).length;
    assert.equal(publishedPassive, max - min + 1, `${fileName}: ${name} publishes ${publishedPassive} of its ${max - min + 1} passive ports`);
    // The data directory is a volume, not the container's writable layer.
    assert.ok(serviceMounts(service).some((m) => m.target === node.config.dataDir && !m.bind), `${fileName}: ${name} keeps ${node.config.dataDir} in no volume`);
  }
  return nodes;
}

function hostPortsAreDistinct(file: Tree): void {
  const seen = new Map<number, string>();
  for (const [name, service] of Object.entries(services(file))) {
    for (const port of publishedPorts(service)) {
      if (port.host === undefined) continue;
      assert.ok(!seen.has(port.host), `host port ${port.host} is published by both ${seen.get(port.host)} and ${name}`);
      seen.set(port.host, name);
    }
  }
}

describe("deploy/compose.yaml: one node on SQLite", () => {
  test("names, published ports and the data volume agree with the server", async () => {
    const nodes = await checkNamesAndPorts("compose.yaml");
    assert.equal(nodes.size, 1);
    const [node] = [...nodes.values()];
    assert.equal(node!.config.database.url, "", "SQLite: no database URL");
    assert.equal(node!.config.cluster.redisUrl, "");
    hostPortsAreDistinct(await readDeployYaml("compose.yaml"));
  });

  test("FTP_PUBLIC_ADDRESS is required: no default would be the address remote clients reach (PASV names it)", async () => {
    const [service] = Object.values(services(await readDeployYaml("compose.yaml")));
    assert.match(String((service!["environment"] as Tree)["CMY_FTP_PUBLIC_ADDRESS"]), /^\$\{FTP_PUBLIC_ADDRESS:\?[^}]+\}$/);
  });

  test("publishes IRC, IRC over TLS, FTP, HTTP and the passive range; restarts; keeps the image's health check", async () => {
    const file = await readDeployYaml("compose.yaml");
    const [service] = Object.values(services(file));
    const containerPorts = new Set(publishedPorts(service!).map((p) => p.container));
    for (const port of [6667, 6697, 2121, 8080]) assert.ok(containerPorts.has(port), `port ${port} is not published`);
    assert.match(String(service!["restart"]), /^(always|unless-stopped|on-failure)/);
    assert.equal(service!["healthcheck"], undefined, "the image's HEALTHCHECK applies");
    assert.ok(isVolumeDeclared(file, serviceMounts(service!).find((m) => m.target === "/data")!.source));
  });
});

function isVolumeDeclared(file: Tree, name: string): boolean {
  const volumes = file["volumes"];
  return typeof volumes === "object" && volumes !== null && name in volumes;
}

describe("deploy/compose.cluster.yaml: three nodes, PostgreSQL, Redis, haproxy", () => {
  let file: Tree;
  let nodes: Nodes;
  before(async () => {
    file = await readDeployYaml("compose.cluster.yaml");
    nodes = await loadNodes("compose.cluster.yaml");
  });

  test("names, published ports and data volumes agree with the server", async () => {
    await checkNamesAndPorts("compose.cluster.yaml");
  });

  test("has three nodes and the postgres, redis and haproxy services (official images)", () => {
    assert.deepEqual([...nodes.keys()].sort(), ["node1", "node2", "node3"]);
    const all = services(file);
    assert.match(String(all["postgres"]?.["image"]), /^postgres:\d+/);
    assert.match(String(all["redis"]?.["image"]), /^redis:\d+/);
    assert.match(String(all["haproxy"]?.["image"]), /^haproxy:\d+/);
  });

  test("every node is on PostgreSQL and Redis of this file, under its own name", () => {
    const all = services(file);
    const names = new Set<string>();
    for (const [service, { config }] of nodes) {
      const database = new URL(config.database.url);
      assert.equal(database.protocol, "postgres:", `${service}: a cluster needs PostgreSQL`);
      assert.ok(database.hostname in all, `${service}: database host ${database.hostname} is no service`);
      const redis = new URL(config.cluster.redisUrl);
      assert.ok(redis.hostname in all, `${service}: Redis host ${redis.hostname} is no service`);
      assert.match(String(all[redis.hostname]?.["image"]), /^redis:/);
      assert.notEqual(config.cluster.nodeName, "", `${service}: no CMY_NODE_NAME`);
      names.add(config.cluster.nodeName);
      const dependsOn = all[service]?.["depends_on"] as Tree | undefined;
      for (const needed of [database.hostname, redis.hostname]) {
        assert.equal((dependsOn?.[needed] as Tree | undefined)?.["condition"], "service_healthy", `${service} should wait for ${needed} to be healthy`);
        assert.ok(all[needed]?.["healthcheck"], `${needed} has no health check to wait for`);
      }
    }
    assert.equal(names.size, nodes.size, "node names must differ");
  });

  test("the postgres password is the same in the server's URL and in postgres, and is required", () => {
    const all = services(file);
    const postgresEnv = all["postgres"]!["environment"] as Tree;
    assert.match(String(postgresEnv["POSTGRES_PASSWORD"]), /^\$\{POSTGRES_PASSWORD:\?/);
    for (const service of nodes.keys()) {
      const raw = String((all[service]!["environment"] as Tree)["CMY_DATABASE_URL"]);
      assert.match(raw, /^postgres:\/\/cmymessage:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/cmymessage$/);
      assert.equal(String(postgresEnv["POSTGRES_USER"]), "cmymessage");
      assert.equal(String(postgresEnv["POSTGRES_DB"]), "cmymessage");
    }
  });

  test("FTP_PUBLIC_ADDRESS is required, as in compose.yaml", () => {
    const all = services(file);
    for (const service of nodes.keys()) {
      assert.match(String((all[service]!["environment"] as Tree)["CMY_FTP_PUBLIC_ADDRESS"]), /^\$\{FTP_PUBLIC_ADDRESS:\?[^}]+\}$/, service);
    }
  });

  test("each node has its own data volume, and all share one files volume at <dataDir>/files", () => {
    const all = services(file);
    const dataVolumes = new Set<string>();
    const filesVolumes = new Set<string>();
    for (const [service, { config }] of nodes) {
      const mounts = serviceMounts(all[service]!);
      const data = mounts.find((m) => m.target === config.dataDir);
      const files = mounts.find((m) => m.target === `${config.dataDir}/files`);
      assert.ok(data && !data.bind, `${service}: no data volume`);
      assert.ok(files && !files.bind, `${service}: no shared files volume at ${config.dataDir}/files`);
      dataVolumes.add(data.source);
      filesVolumes.add(files.source);
      assert.ok(isVolumeDeclared(file, data.source) && isVolumeDeclared(file, files.source));
    }
    assert.equal(dataVolumes.size, 3, "one data volume per node");
    assert.equal(filesVolumes.size, 1, "one files volume for all");
  });

  test("FTP: each node its own host control port and a passive range no other node has", () => {
    const all = services(file);
    const ranges: Array<[number, number, string]> = [];
    const controlPorts = new Set<number>();
    for (const [service, { config }] of nodes) {
      const { passivePortMin: min, passivePortMax: max } = config.ftp;
      assert.ok(min > 0 && max >= min, `${service}: no fixed passive range`);
      for (const [otherMin, otherMax, other] of ranges) assert.ok(max < otherMin || min > otherMax, `${service} and ${other} share passive ports`);
      ranges.push([min, max, service]);
      const ftpPort = config.ftp.listen[0]!.port;
      const control = publishedPorts(all[service]!).filter((p) => p.container === ftpPort);
      assert.equal(control.length, 1, `${service}: FTP control port published once`);
      controlPorts.add(control[0]!.host!);
      assert.notEqual(config.ftp.publicAddress, "", `${service}: PASV would name the container's address`);
      // IRC and HTTP go through haproxy, not straight to a node.
      for (const port of [...config.irc.listen, ...config.irc.tlsListen, ...config.http.listen]) {
        assert.ok(!publishedPorts(all[service]!).some((p) => p.container === port.port), `${service} publishes ${port.port} past haproxy`);
      }
    }
    assert.equal(controlPorts.size, 3);
    hostPortsAreDistinct(file);
  });

  test("haproxy publishes IRC, IRC over TLS and HTTP, with its config file mounted", async () => {
    const haproxy = services(file)["haproxy"]!;
    assert.deepEqual(publishedPorts(haproxy).map((p) => p.container).sort(), [6667, 6697, 8080]);
    const mount = serviceMounts(haproxy).find((m) => m.target === "/usr/local/etc/haproxy/haproxy.cfg");
    assert.ok(mount?.bind, "haproxy.cfg is mounted");
    await access(join(DEPLOY_DIR, mount.source));
  });
});
