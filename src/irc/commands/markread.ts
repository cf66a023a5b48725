import type { AnytimeCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { markerParam } from "../read-marker-lines.js";
import { parseTimestampParam } from "../timestamp-param.js";

function fail(connection: IrcConnection, code: string, ...rest: string[]): void {
  connection.serverLine("FAIL", "MARKREAD", code, ...rest);
}

/**
 * IRCv3 read-marker: `MARKREAD <target>` asks for the account's read marker of a
 * conversation, `MARKREAD <target> timestamp=…` moves it (never backwards). Answered
 * with `MARKREAD <target> timestamp=…|*` or a FAIL; a marker that moved reaches the
 * account's other connections with the cap as the same MARKREAD line.
 * Markers belong to accounts: before registration the answer is NEED_REGISTRATION,
 * for a guest (no account) ACCOUNT_REQUIRED.
 */
export const markread: AnytimeCommand = {
  name: "MARKREAD",
  minParams: 0,
  when: "any",
  help: "MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ] — get or set your read marker of a channel or nick",
  async run(connection, params) {
    const name = params[0];
    if (!connection.registered) {
      fail(connection, "NEED_REGISTRATION", "You must complete connection registration before using MARKREAD");
      return;
    }
    if (name === undefined || name === "") {
      fail(connection, "NEED_MORE_PARAMS", "Missing parameters");
      return;
    }
    const account = connection.account?.name;
    if (account === undefined) {
      fail(connection, "ACCOUNT_REQUIRED", name, "You must be logged in to an account to keep read markers");
      return;
    }
    const readMarkers = connection.context.readMarkers;
    const target = readMarkers.keyFor(name);
    if (target === null) {
      fail(connection, "INVALID_PARAMS", name, "Invalid target");
      return;
    }
    const stamp = params[1];
    if (stamp === undefined) {
      try {
        connection.serverLine("MARKREAD", name, markerParam(await readMarkers.get(account, target)));
      } catch (error) {
        connection.context.log.warn({ err: error, account }, "read marker could not be read");
        fail(connection, "INTERNAL_ERROR", name, "The read timestamp could not be read");
      }
      return;
    }
    const readAt = parseTimestampParam(stamp);
    if (readAt === null) {
      fail(connection, "INVALID_PARAMS", stamp, "Invalid timestamp");
      return;
    }
    try {
      const result = await readMarkers.set(account, name, readAt, connection.id);
      if (!result.ok) {
        if (result.reason === "no-such-account") fail(connection, "INTERNAL_ERROR", name, "The read timestamp could not be set");
        else fail(connection, "INVALID_PARAMS", result.reason === "invalid-target" ? name : stamp, "Invalid parameters");
        return;
      }
      // Moved or not, this connection is told the marker as it now is; the others hear of a move through the bus.
      connection.serverLine("MARKREAD", name, markerParam(result.readAt));
    } catch (error) {
      connection.context.log.warn({ err: error, account }, "read marker could not be set");
      fail(connection, "INTERNAL_ERROR", name, "The read timestamp could not be set");
    }
  },
};
