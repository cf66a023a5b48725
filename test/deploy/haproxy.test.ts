/**
 * deploy/haproxy.cfg: valid for haproxy itself (`haproxy -c`, Debian's haproxy package), and
 * pointing at what deploy/compose.cluster.yaml runs: every server is a node service on a port
 * that node listens on, health checks ask the node's HTTP port, the frontends are the ports
 * the haproxy service publishes.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { validateConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import {
  containerConfig,
  listenedPorts,
  publishedPorts,
  readDeployText,
  readDeployYaml,
  readDockerfile,
  requireTool,
  runsCmyMessage,
  services,
} from "../support/deploy-files.js";
import { withHostVariables } from "./host-variables.js";

interface Section {
  readonly kind: string;
  readonly name: string;
  readonly lines: string[];
}

/** The config's sections (global, defaults, frontend x, backend y, resolvers z) and their lines, comments dropped. */
function parseHaproxyConfig(text: string): Section[] {
  const sections: Section[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    if (/^\S/.test(raw)) {
      const [kind, name = ""] = line.split(/\s+/);
      sections.push({ kind: kind!, name, lines: [] });
    } else {
      const current = sections[sections.length - 1];
      if (!current) throw new Error(`haproxy.cfg: "${line}" is outside any section`);
      current.lines.push(line);
    }
  }
  return sections;
}

const option = (words: string[], name: string): string | undefined => {
  const at = words.indexOf(name);
  return at >= 0 ? words[at + 1] : undefined;
};

describe("deploy/haproxy.cfg", () => {
  let sections: Section[];
  let nodes: Map<string, Config>;
  let haproxyPorts: number[];
  before(async () => {
    sections = parseHaproxyConfig(await readDeployText("haproxy.cfg"));
    const file = withHostVariables(await readDeployYaml("compose.cluster.yaml"));
    const image = await readDockerfile();
    nodes = new Map();
    for (const [name, service] of Object.entries(services(file))) {
      if (runsCmyMessage(service)) nodes.set(name, (await containerConfig(file, service, image)).config);
    }
    haproxyPorts = publishedPorts(services(file)["haproxy"]!).map((p) => p.container);
  });

  test("haproxy -c accepts it (the only warnings: node names that resolve only inside compose)", async (t) => {
    const run = await requireTool(t, "haproxy", ["-c", "-f", "deploy/haproxy.cfg"], "Debian package haproxy");
    if (!run) return;
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.code, 0, output);
    assert.match(output, /Configuration file is valid/);
    assert.doesNotMatch(output, /\[ALERT\]/);
    const warnings = output.split("\n").filter((l) => l.includes("[WARNING]"));
    for (const warning of warnings) assert.match(warning, /could not resolve address 'node\d'/, `unexpected warning: ${warning}`);
  });

  test("names that do not resolve outside compose do not stop haproxy (init-addr ... none), and Docker's DNS finds them later", () => {
    const defaults = sections.find((s) => s.kind === "defaults")!;
    const defaultServer = defaults.lines.find((l) => l.startsWith("default-server"))!.split(/\s+/);
    assert.match(option(defaultServer, "init-addr") ?? "", /(^|,)none$/);
    const resolversName = option(defaultServer, "resolvers");
    const resolvers = sections.find((s) => s.kind === "resolvers" && s.name === resolversName);
    assert.ok(resolvers?.lines.some((l) => /^nameserver \S+ 127\.0\.0\.11:53$/.test(l)), "Docker's embedded DNS");
  });

  test("the frontends bind the ports the haproxy service publishes", () => {
    const bound = sections.filter((s) => s.kind === "frontend").flatMap((s) => s.lines.filter((l) => l.startsWith("bind ")).map((l) => Number(/:(\d+)/.exec(l)![1])));
    assert.deepEqual(bound.sort(), [...haproxyPorts].sort());
  });

  test("every server is a node on a port it listens on; readiness is asked on the node's HTTP port", () => {
    const defaults = sections.find((s) => s.kind === "defaults")!;
    const defaultServer = defaults.lines.find((l) => l.startsWith("default-server"))!.split(/\s+/);
    const backends = sections.filter((s) => s.kind === "backend" && s.lines.some((l) => l.startsWith("server ")));
    assert.equal(backends.length, 3, "IRC, IRC over TLS, HTTP");
    for (const backend of backends) {
      assert.ok(backend.lines.some((l) => /^option httpchk GET \/\S+$/.test(l)), `${backend.name}: no HTTP health check`);
      assert.ok(backend.lines.includes("http-check expect status 200"), `${backend.name}: any answer would count as ready`);
      const servers = backend.lines.filter((l) => l.startsWith("server "));
      assert.deepEqual(servers.map((l) => l.split(/\s+/)[2]!.split(":")[0]).sort(), [...nodes.keys()].sort(), `${backend.name}: one server per node`);
      for (const line of servers) {
        const words = line.split(/\s+/);
        const [host, port] = words[2]!.split(":");
        const config = nodes.get(host!)!;
        assert.ok(listenedPorts(config).has(Number(port)), `${backend.name}: ${host} does not listen on ${port}`);
        const checkPort = Number(option(words, "port") ?? option(defaultServer, "port") ?? port);
        assert.equal(checkPort, config.http.listen[0]!.port, `${backend.name}: the check must ask ${host}'s HTTP port`);
        assert.ok(words.includes("check") || defaultServer.includes("check"), `${backend.name}/${host} is never checked`);
      }
    }
  });

  test("the per-address connection limit the nodes cannot apply to proxied IRC is applied here, at the server's default", () => {
    const perAddress = validateConfig({}, "defaults").limits.connectionsPerIp;
    for (const frontend of sections.filter((s) => s.kind === "frontend")) {
      const track = frontend.lines.find((l) => l.startsWith("tcp-request connection track-sc0 src"));
      assert.ok(track, `${frontend.name}: connections are not counted per source`);
      assert.ok(frontend.lines.includes(`tcp-request connection reject if { sc0_conn_cur(${option(track.split(/\s+/), "table")}) gt ${perAddress} }`), `${frontend.name}: no limit of ${perAddress} per source`);
    }
    for (const [name, config] of nodes) assert.ok(config.limits.connectionsPerIp >= config.limits.maxConnections, `${name} would count all proxied clients as one address`);
  });

  test("HTTP: the client's address in X-Forwarded-For only from haproxy, as the nodes trust it", () => {
    const http = sections.find((s) => s.kind === "frontend" && s.lines.includes("mode http"))!;
    assert.ok(http.lines.includes("http-request del-header X-Forwarded-For"));
    assert.ok(http.lines.includes("option forwardfor"));
    for (const [name, config] of nodes) assert.equal(config.http.trustProxy, 1, `${name} must trust exactly one proxy hop (haproxy) in X-Forwarded-For`);
  });
});
