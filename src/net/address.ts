import { isIPv4, isIPv6 } from "node:net";

/** `::ffff:1.2.3.4` → `1.2.3.4`: users and logs see the address the client really has. */
export function unmapAddress(address: string | undefined): string {
  if (!address) return "unknown";
  if (address.startsWith("::ffff:") && isIPv4(address.slice(7))) return address.slice(7);
  return address;
}

/** Expands an IPv6 address into its eight 16-bit groups. */
export function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string): number[] => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  let headGroups = parse(head);
  let tailGroups = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (e.g. ::ffff:1.2.3.4 that was not unmapped) takes two groups.
  const fix = (groups: number[], part: string): number[] => {
    const last = part.split(":").pop() ?? "";
    if (!isIPv4(last)) return groups;
    const octets = last.split(".").map(Number);
    return [...groups.slice(0, -1), (octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
  };
  headGroups = fix(headGroups, head);
  tailGroups = fix(tailGroups, tail ?? "");
  const missing = 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...new Array<number>(Math.max(0, missing)).fill(0), ...tailGroups];
}

/**
 * The key connection limits count by: the IPv4 address itself, or the /64 an IPv6
 * address belongs to — one IPv6 host usually owns a whole /64.
 */
export function limitKey(address: string): string {
  const plain = unmapAddress(address);
  if (isIPv6(plain)) {
    const groups = ipv6Groups(plain).slice(0, 4);
    return `${groups.map((g) => g.toString(16)).join(":")}::/64`;
  }
  return plain;
}

/** IRC params may not start with ':'; `::1` is shown as `0::1` like other servers do. */
export function ircSafeHost(address: string): string {
  return address.startsWith(":") ? `0${address}` : address;
}

export function isLoopback(address: string): boolean {
  const plain = unmapAddress(address);
  return plain === "::1" || plain.startsWith("127.");
}
