import type { AnytimeCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR } from "../numerics.js";
import { verifyPassword } from "../../auth/passwords.js";

/** Connections that gave the right server password (irc.password) with PASS. */
const accepted = new WeakSet<IrcConnection>();

/** Whether `connection` may register as far as the server password goes. */
export function serverPasswordAccepted(connection: IrcConnection): boolean {
  return connection.context.config.irc.password === "" || accepted.has(connection);
}

/** Refuses a connection for a missing or wrong server password: 464, then closed (as Ergo does). */
export function refuseServerPassword(connection: IrcConnection, reason: "missing" | "wrong"): void {
  connection.context.log.warn({ address: connection.address, nick: connection.nick, reason }, "irc server password refused");
  connection.numeric(ERR.PASSWDMISMATCH, "Password incorrect");
  connection.close("Bad password");
}

export const pass: AnytimeCommand = {
  name: "PASS",
  minParams: 1,
  when: "any",
  help: "PASS <password> — the server password, before NICK and USER (when the server has one)",
  async run(connection, params) {
    if (!connection.pending) {
      connection.numeric(ERR.ALREADYREGISTERED, "You may not reregister");
      return;
    }
    const hash = connection.context.config.irc.password;
    if (hash === "") return; // no server password: accepted and ignored
    // Verified off the event loop; the connection's next lines wait for the answer.
    const valid = await verifyPassword(hash, params[0]!);
    if (connection.closed) return;
    if (valid) accepted.add(connection);
    else refuseServerPassword(connection, "wrong");
  },
};
