import type { ConnectionCount } from "./server-metrics.js";

/** What the count needs of an IRC connection: its transport's kind (net/line-transport.ts). */
interface HasTransport {
  readonly transport: { readonly kind: string };
}

/** What it needs of an FTP control connection: whether AUTH TLS secured it. */
interface MaybeSecure {
  readonly secure: boolean;
}

const IRC_TRANSPORTS = ["tcp", "tls", "websocket"] as const;
const FTP_TRANSPORTS = ["tcp", "tls"] as const;

/**
 * Open IRC and FTP connections by transport, every pair listed (zeros included, so a
 * series never disappears from a dashboard). Walks the connections: done at scrape
 * time only, so the connection path keeps no extra counters. An FTP session counts as
 * tls once AUTH TLS has secured it.
 */
export function connectionCounts(irc: { readonly connections: Iterable<HasTransport> }, ftp: { readonly sessions: Iterable<MaybeSecure> }): ConnectionCount[] {
  const ircCounts = new Map<string, number>(IRC_TRANSPORTS.map((transport) => [transport, 0]));
  for (const connection of irc.connections) ircCounts.set(connection.transport.kind, (ircCounts.get(connection.transport.kind) ?? 0) + 1);
  let ftpSecure = 0;
  let ftpTotal = 0;
  for (const session of ftp.sessions) {
    ftpTotal++;
    if (session.secure) ftpSecure++;
  }
  const ftpCounts: Record<(typeof FTP_TRANSPORTS)[number], number> = { tcp: ftpTotal - ftpSecure, tls: ftpSecure };
  return [
    ...[...ircCounts].map(([transport, count]) => ({ service: "irc", transport, count })),
    ...FTP_TRANSPORTS.map((transport) => ({ service: "ftp", transport, count: ftpCounts[transport] })),
  ];
}
