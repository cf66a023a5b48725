import { isIP } from "node:net";

/** One address a listener binds to. `host` is an IP literal or a name; `::` means dual-stack. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses one `host:port` entry: `0.0.0.0:6667`, `[::1]:6667`, `localhost:6667`.
 * Returns an error string (not an exception) so config validation can name the key.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  const entry = text.trim();
  let host: string;
  let portText: string;
  // Whatever follows the brackets is the port's business: `[::1]`, `[::1]:` and `[::1]:abc` are a port problem.
  const bracketed = /^\[([^\]]+)\](.*)$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    const rest = bracketed[2]!;
    if (isIP(host) !== 6) return `"${entry}": the part in brackets must be an IPv6 address`;
    if (rest !== "" && !rest.startsWith(":")) return `"${entry}": expected [addr]:port`;
    portText = rest.slice(1);
  } else {
    const colon = entry.lastIndexOf(":");
    if (colon <= 0) return `"${entry}": expected host:port (use [addr]:port for IPv6)`;
    host = entry.slice(0, colon);
    portText = entry.slice(colon + 1);
    if (host.includes(":")) return `"${entry}": an IPv6 address must be written in brackets, e.g. [::1]:6667`;
    if (/[[\]]/.test(host)) return `"${entry}": expected [addr]:port, with an IPv6 address in the brackets`;
  }
  if (portText === "") return `"${entry}": the port is missing (write ${bracketed ? `[${host}]` : host}:<port>)`;
  if (!/^\d+$/.test(portText)) return `"${entry}": the port must be a number`;
  if (portText.length > 5) return `"${entry}": the port must be 0 to 65535`;
  const port = Number(portText);
  if (port > 65535) return `"${entry}": the port must be 0 to 65535`;
  return { host, port };
}

/** Parses the comma-separated list used by CMY_*_LISTEN; an empty string means "no listener". */
export function parseListenList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
