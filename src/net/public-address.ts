import { BlockList, isIPv4, isIPv6 } from "node:net";
import { ipv6Groups } from "./address.js";

/**
 * Addresses that are not on the public Internet: loopback, private (RFC 1918, ULA),
 * carrier-grade NAT, link-local, multicast, documentation, benchmarking and reserved
 * ranges. A request the server makes on a client's behalf (a Web Push endpoint) must
 * never reach one of these, or any account holder could probe the server's own network.
 * IPv4-mapped IPv6 addresses are checked by the IPv4 rules (BlockList does that).
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  // The unspecified and loopback addresses, and the deprecated IPv4-compatible ::a.b.c.d.
  ["::", 96],
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT, RFC 2765): not a public route, and it names an IPv4 address too.
  ["::ffff:0:0:0", 96],
  ["100::", 64],
  // Local-use NAT64 (RFC 8215): translated to IPv4 by the site's own gateway, often into its private network.
  ["64:ff9b:1::", 48],
  // Teredo, benchmarking (RFC 5180), ORCHID and documentation.
  ["2001::", 32],
  ["2001:2::", 48],
  ["2001:10::", 28],
  ["2001:20::", 28],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address, which routes to it. */
function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  const quad = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) return quad(g[6]!, g[7]!);
  if (g[0] === 0x2002) return quad(g[1]!, g[2]!);
  return null;
}

/** Whether `address` (an IP literal) is a public unicast address; anything that is not an IP is not. */
export function isPublicAddress(address: string): boolean {
  try {
    if (isIPv4(address)) return !NOT_PUBLIC.check(address, "ipv4");
    if (!isIPv6(address)) return false;
    if (NOT_PUBLIC.check(address, "ipv6")) return false;
    const inner = embeddedIpv4(address);
    return inner === null || !NOT_PUBLIC.check(inner, "ipv4");
  } catch {
    // A form BlockList cannot read (an IPv6 zone id, say) is not trusted.
    return false;
  }
}
