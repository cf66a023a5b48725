import { randomBytes } from "node:crypto";
import type { IrcConnection } from "./connection.js";
import { formatLine } from "./format.js";

/**
 * Sends lines inside an IRCv3 batch when the client negotiated `batch`, plainly
 * otherwise. `write` gets the batch reference to tag each line with (or null).
 */
export function withBatch(connection: IrcConnection, type: string, params: readonly string[], write: (batch: string | null) => void): void {
  if (!connection.caps.has("batch")) {
    write(null);
    return;
  }
  const ref = randomBytes(6).toString("base64url");
  const server = connection.context.serverName;
  connection.sendLine(formatLine(server, "BATCH", [`+${ref}`, type, ...params]));
  write(ref);
  connection.sendLine(formatLine(server, "BATCH", [`-${ref}`]));
}
