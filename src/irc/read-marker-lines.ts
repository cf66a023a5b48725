import type { Channel } from "../core/chat/channel.js";
import type { IrcConnection } from "./connection.js";
import { serverTime } from "./event-lines.js";

/** The timestamp parameter of MARKREAD: `timestamp=…` or `*` when there is no marker. */
export function markerParam(readAt: number | null): string {
  return readAt === null ? "*" : `timestamp=${serverTime(readAt)}`;
}

/**
 * After a JOIN (its own, or its user's through another connection): a connection with
 * draft/read-marker is told the channel's read marker before RPL_ENDOFNAMES. Returns
 * the `beforeEnd` hook for `sendNames`, or undefined when the connection does not want it.
 * Markers of logged-in accounts are cached from login on; should one not be (the store was
 * down then), the marker is read now and sent when it arrives, after RPL_ENDOFNAMES.
 */
export function joinMarker(connection: IrcConnection, channel: Channel): (() => void) | undefined {
  if (!connection.caps.has("draft/read-marker")) return undefined;
  const account = connection.account?.name;
  // A guest has no markers: `*`, as for a channel never marked.
  if (account === undefined) return () => connection.serverLine("MARKREAD", channel.name, "*");
  const readMarkers = connection.context.readMarkers;
  const cached = readMarkers.cached(account, channel.folded);
  if (cached !== undefined) return () => connection.serverLine("MARKREAD", channel.name, markerParam(cached));
  return () => {
    readMarkers.get(account, channel.folded).then(
      (readAt) => {
        if (!connection.closed) connection.serverLine("MARKREAD", channel.name, markerParam(readAt));
      },
      (error: unknown) => connection.context.log.warn({ err: error, account }, "read marker could not be read"),
    );
  };
}
