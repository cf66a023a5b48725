/**
 * Hosts on a network the test can cut: n Linux network namespaces, each joined to a
 * bridge in the root namespace by a veth pair, addresses 10.<a>.<b>.2… /24 (the
 * bridge is .1). Nodes run inside a namespace (`startNode(t, { netns: host.namespace,
 * bind: host.address })`); Redis listens on the bridge address; PostgreSQL, which
 * listens on 127.0.0.1 only, is reached through a forwarder on the bridge address in
 * this process. The test process itself reaches every host through the bridge.
 *
 * `cut(host)` takes the host's veth down on the bridge side: its packets go nowhere
 * (no reset, no error at first), as when a machine drops off the network; `heal(host)`
 * brings it back. Needs root and `ip` (iproute2); every `ip` call is an argument
 * array, no shell. Names carry a random id per run, so parallel runs do not collide.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { promisify } from "node:util";
import { findOnPath } from "./redis-server.js";
import { TcpProxy } from "./tcp-proxy.js";
import { onProcessExit, teardownOf, type AfterHook, type Teardown } from "./teardown.js";

const execFileAsync = promisify(execFile);

/** CI sets this to 1: the network-namespace suites then fail where namespaces cannot be made, instead of skipping. */
export const REQUIRE_NETNS_ENV = "CMY_TEST_REQUIRE_NETNS";

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync("ip", args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

let unavailable: string | null | undefined;

/** Why network namespaces cannot be made here, or null when they can (tried once: add and delete one). */
export function netnsUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  if (process.getuid?.() !== 0) return (unavailable = "the network-namespace suite did not run: it needs root (CI runs as root)");
  if (!findOnPath("ip")) return (unavailable = "the network-namespace suite did not run: `ip` (iproute2) is not on PATH");
  const probe = `cmyprobe${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe", timeout: 5000 });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe", timeout: 5000 });
    unavailable = null;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    unavailable = `the network-namespace suite did not run: cannot create a network namespace (${stderr})`;
  }
  return unavailable;
}

export interface NetnsHost {
  /** The namespace to run a node in (`startNode`'s `netns`). */
  readonly namespace: string;
  /** Its address on the bridge (`startNode`'s `bind`; clients connect here). */
  readonly address: string;
  /** The bridge-side end of its veth pair (what `cut` takes down). */
  readonly link: string;
}

export interface NetnsNetwork {
  readonly bridge: string;
  /** The root namespace's address on the bridge: where Redis and the PostgreSQL forwarder listen. */
  readonly bridgeAddress: string;
  readonly hosts: readonly NetnsHost[];
  /** `databaseUrl` (on 127.0.0.1) rewritten to go through the forwarder on the bridge; one forwarder per target. */
  reachable(databaseUrl: string): Promise<string>;
  /** Takes `host` off the network (its veth down at the bridge). */
  cut(host: NetnsHost): Promise<void>;
  /** Puts it back. */
  heal(host: NetnsHost): Promise<void>;
}

/** A 10.a.b.0/24 no interface here uses yet. */
async function freeSubnet(): Promise<string> {
  const used = await ip("-o", "-4", "addr", "show");
  for (let attempt = 0; attempt < 50; attempt++) {
    const prefix = `10.${randomInt(64, 250)}.${randomInt(1, 250)}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error("no free 10.x.y.0/24 subnet found in 50 tries");
}

/** Makes `count` namespaces on a new bridge for the test (or Teardown) `owner`; all removed when it ends. */
export async function startNetnsHosts(owner: AfterHook | Teardown, count: number): Promise<NetnsNetwork> {
  if (count < 1 || count > 200) throw new Error(`startNetnsHosts: 1 to 200 hosts, not ${count}`);
  const teardown = teardownOf(owner);
  const id = randomBytes(3).toString("hex");
  const bridge = `cmyb${id}`;
  const prefix = await freeSubnet();
  const bridgeAddress = `${prefix}.1`;
  const namespaces: string[] = [];
  let bridgeMade = false;

  // Synchronous: it may run while the process exits.
  const removeAll = (): void => {
    for (const namespace of namespaces) {
      try {
        execFileSync("ip", ["netns", "del", namespace], { stdio: "ignore", timeout: 5000 });
      } catch {
        // already gone
      }
    }
    if (bridgeMade) {
      try {
        execFileSync("ip", ["link", "del", bridge], { stdio: "ignore", timeout: 5000 });
      } catch {
        // already gone
      }
    }
  };
  const forget = onProcessExit(removeAll);
  teardown.add(`removing network namespaces ${namespaces.join(", ") || `of ${bridge}`}`, async () => {
    // Deleting a namespace deletes the veth pair with it.
    for (const namespace of namespaces) await ip("netns", "del", namespace).catch(() => {});
    if (bridgeMade) await ip("link", "del", bridge);
    forget();
    const left = await ip("netns", "list");
    const stuck = namespaces.filter((namespace) => left.split("\n").some((line) => line.split(" ")[0] === namespace));
    if (stuck.length > 0) throw new Error(`namespaces still there: ${stuck.join(", ")}`);
  });

  await ip("link", "add", "name", bridge, "type", "bridge");
  bridgeMade = true;
  await ip("addr", "add", `${bridgeAddress}/24`, "dev", bridge);
  await ip("link", "set", bridge, "up");

  const hosts: NetnsHost[] = [];
  for (let i = 0; i < count; i++) {
    const namespace = `cmy${id}h${i}`;
    const link = `cmy${id}v${i}`;
    const address = `${prefix}.${i + 2}`;
    await ip("netns", "add", namespace);
    namespaces.push(namespace);
    await ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace);
    await ip("link", "set", link, "master", bridge);
    await ip("link", "set", link, "up");
    await ip("-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0");
    await ip("-n", namespace, "link", "set", "eth0", "up");
    await ip("-n", namespace, "link", "set", "lo", "up");
    hosts.push({ namespace, address, link });
  }

  const forwarders = new Map<string, TcpProxy>();
  return {
    bridge,
    bridgeAddress,
    hosts,
    async reachable(databaseUrl) {
      const url = new URL(databaseUrl);
      const target = `${url.hostname}:${url.port || "5432"}`;
      let forwarder = forwarders.get(target);
      if (!forwarder) {
        forwarder = await TcpProxy.start(url.hostname, Number(url.port || 5432), bridgeAddress);
        forwarders.set(target, forwarder);
        const started = forwarder;
        teardown.add(`closing the forwarder to ${target}`, () => started.close());
      }
      url.hostname = bridgeAddress;
      url.port = String(forwarder.port);
      return url.toString();
    },
    async cut(host) {
      await ip("link", "set", host.link, "down");
    },
    async heal(host) {
      await ip("link", "set", host.link, "up");
    },
  };
}
