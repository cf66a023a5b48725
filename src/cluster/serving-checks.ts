import { isIP } from "node:net";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";
import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";

/** Why a cluster on SQLite is refused; the wording is part of the contract (docs, tests, operators' scripts). */
export const REDIS_NEEDS_POSTGRES =
  "cluster.redisUrl (CMY_REDIS_URL) needs database.url (CMY_DATABASE_URL) on PostgreSQL: nodes share their accounts and history there; SQLite is one node's file";

/**
 * What a valid configuration may still not serve with, checked before anything starts
 * (the schema checks each key; this checks keys that only make sense together).
 * Throws a ConfigError, which the CLI turns into exit code 2.
 */
export function checkServingConfig(config: Pick<Config, "cluster" | "database" | "irc" | "ftp" | "http" | "metrics">): void {
  checkClusterDatabase(config);
  checkListenersApart(config);
}

/** The settings that bind listeners, with the variables that set them; metrics' own only when metrics are on. */
const LISTENER_SETTINGS: ReadonlyArray<readonly [string, string, (config: Pick<Config, "irc" | "ftp" | "http" | "metrics">) => readonly ListenAddress[]]> = [
  ["irc.listen", "CMY_IRC_LISTEN", (config) => config.irc.listen],
  ["irc.tlsListen", "CMY_IRC_TLS_LISTEN", (config) => config.irc.tlsListen],
  ["ftp.listen", "CMY_FTP_LISTEN", (config) => config.ftp.listen],
  ["http.listen", "CMY_HTTP_LISTEN", (config) => config.http.listen],
  ["metrics.listen", "CMY_METRICS_LISTEN", (config) => (config.metrics.enabled ? config.metrics.listen : [])],
];

/**
 * What a listener's address takes of its port, as Linux sees it (the listeners bind with
 * SO_REUSEADDR and, on `::`, ipv6Only false):
 * - every: `::` in any spelling (`0::0`): every IPv6 and IPv4 address;
 * - ipv4-any: `0.0.0.0` (or `::ffff:0.0.0.0`), every IPv4 address;
 * - ipv4 / ipv6: one address (an IPv4-mapped IPv6 address is the IPv4 address);
 * - name: a host name, resolved at bind time: only the same name is known to clash, or `::`.
 */
interface Taken {
  readonly kind: "every" | "ipv4-any" | "ipv4" | "ipv6" | "name";
  /** Empty for the wildcards. */
  readonly address: string;
}

const EVERY: Taken = { kind: "every", address: "" };
const IPV4_ANY: Taken = { kind: "ipv4-any", address: "" };

function takenBy(host: string): Taken {
  const family = isIP(host);
  if (family === 4) return host === "0.0.0.0" ? IPV4_ANY : { kind: "ipv4", address: host };
  if (family !== 6) return { kind: "name", address: host.toLowerCase() };
  let canonical: string;
  try {
    canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    // A zone (fe80::1%eth0), which URL does not take: compared as written.
    return { kind: "ipv6", address: host.toLowerCase() };
  }
  if (canonical === "::") return EVERY;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const high = parseInt(mapped[1]!, 16);
    const low = parseInt(mapped[2]!, 16);
    const ipv4 = [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
    return ipv4 === "0.0.0.0" ? IPV4_ANY : { kind: "ipv4", address: ipv4 };
  }
  return { kind: "ipv6", address: canonical };
}

/** Why two listeners on one port fail (the second gets EADDRINUSE), or null when both bind. */
function clash(a: Taken, b: Taken, port: number): string | null {
  if (a.kind === "every" || b.kind === "every") return `[::] listens on port ${port} of every address, IPv4 and IPv6`;
  if (a.kind === "name" || b.kind === "name") return a.kind === b.kind && a.address === b.address ? "the same address" : null;
  if (a.kind === "ipv4-any" || b.kind === "ipv4-any") return a.kind !== "ipv6" && b.kind !== "ipv6" ? `0.0.0.0 listens on port ${port} of every IPv4 address` : null;
  return a.kind === b.kind && a.address === b.address ? "the same address" : null;
}

/**
 * Two listeners that cannot both bind: the same address and port twice (within one setting or
 * across IRC, IRC over TLS, FTP, HTTP and metrics), or a wildcard and an address it covers on
 * one port. Serve would exit 1 on EADDRINUSE half way through its start. Port 0 (any free
 * port) never clashes; addresses Linux binds side by side (127.0.0.1 and ::1, 0.0.0.0 and ::1) pass.
 */
function checkListenersApart(config: Pick<Config, "irc" | "ftp" | "http" | "metrics">): void {
  const seen: Array<{ readonly what: string; readonly port: number; readonly taken: Taken }> = [];
  for (const [key, variable, addresses] of LISTENER_SETTINGS) {
    for (const address of addresses(config)) {
      if (address.port === 0) continue;
      const what = `${key} (${variable}) ${formatListenAddress(address)}`;
      const taken = takenBy(address.host);
      for (const earlier of seen) {
        if (earlier.port !== address.port) continue;
        const why = clash(earlier.taken, taken, address.port);
        if (why !== null) {
          throw new ConfigError(`listeners clash: ${earlier.what} and ${what} cannot both listen (${why}); serve would fail with EADDRINUSE. Give each its own port or address`);
        }
      }
      seen.push({ what, port: address.port, taken });
    }
  }
}

/** Why `serve` with no listener at all is refused: it would log that it runs, and exit at once. */
export const NOTHING_TO_SERVE =
  "nothing to serve: irc.listen, irc.tlsListen, ftp.listen and http.listen (CMY_IRC_LISTEN, CMY_IRC_TLS_LISTEN, CMY_FTP_LISTEN, CMY_HTTP_LISTEN) are all empty";

/** `cmymessage serve` needs at least one listener (checked by the CLI; tests start servers without any). */
/**
 * Nodes on the Redis bus each on their own SQLite file would each see other accounts and
 * history; the CLI's user commands check it too, or in a cluster's container (where the
 * database URL may be made by an entrypoint) they would change a SQLite file nobody reads.
 */
export function checkClusterDatabase(config: Pick<Config, "cluster" | "database">): void {
  if (config.cluster.redisUrl !== "" && config.database.url === "") throw new ConfigError(REDIS_NEEDS_POSTGRES);
}

export function checkSomethingToServe(config: Pick<Config, "irc" | "ftp" | "http">): void {
  const listeners = [config.irc.listen, config.irc.tlsListen, config.ftp.listen, config.http.listen];
  if (listeners.every((list) => list.length === 0)) throw new ConfigError(NOTHING_TO_SERVE);
}
