import type { AnytimeCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR } from "../numerics.js";
import { verifyPassword } from "../../auth/passwords.js";
import { logIn } from "../accounts/login.js";
import { plaintextPasswordAllowed } from "../accounts/plaintext.js";
import { secondsText } from "../../core/accounts/login-guard.js";

/** Connections that gave the right server password (irc.password) with PASS. */
const accepted = new WeakSet<IrcConnection>();
/** Connections that already tried `PASS account:password`: one try each, as Ergo allows. */
const triedLogin = new WeakSet<IrcConnection>();

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

/** Tells a client without SASL why `PASS account:password` did not log it in; it registers as a guest. */
function loginRefused(connection: IrcConnection, text: string): void {
  connection.serverLine("NOTICE", connection.nick, `PASS login failed: ${text}`);
}

/**
 * `PASS account:password` (Ergo's form) on a server without a server password: logs in
 * clients that speak no SASL (ii, sic, old bots). It is a password login like SASL
 * PLAIN: the same clear-text rule, and the same login (and shared brute-force guard).
 */
async function passLogin(connection: IrcConnection, argument: string): Promise<void> {
  const colon = argument.indexOf(":");
  if (colon <= 0 || connection.account || triedLogin.has(connection)) return;
  triedLogin.add(connection);
  if (!plaintextPasswordAllowed(connection)) return loginRefused(connection, "a password in clear needs a TLS connection");
  const result = await connection.context.accounts.login(argument.slice(0, colon), argument.slice(colon + 1), connection.address, "irc-pass");
  if (connection.closed) return;
  if (!result.ok) {
    return loginRefused(connection, result.reason === "throttled" ? `too many failed attempts; try again in ${result.retryAfterSeconds ?? 60} seconds` : "invalid account or password");
  }
  await logIn(connection, result.account);
}

export const pass: AnytimeCommand = {
  name: "PASS",
  minParams: 1,
  when: "any",
  help: "PASS <password> — the server password, before NICK and USER (when the server has one); without one, PASS <account>:<password> logs in",
  async run(connection, params) {
    if (!connection.pending) {
      connection.numeric(ERR.ALREADYREGISTERED, "You may not reregister");
      return;
    }
    const hash = connection.context.config.irc.password;
    // No server password: PASS account:password logs in; anything else is accepted and ignored.
    if (hash === "") return passLogin(connection, params[0]!);
    await checkServerPassword(connection, hash, params[0]!);
  },
};

/**
 * The server's counters in the shared login guard: a ':' is in no account name, so
 * these never meet an account's (as OPER's `oper:<name>`).
 */
const SERVER_PASSWORD_GUARD = "server-password:irc";

/**
 * The server password (irc.password) is a password like any other: its guesses go through
 * the login guard (per address, and per address on this "account"), so a client cannot try
 * it as fast as it can reconnect. Verified off the event loop; the connection's next lines
 * wait for the answer.
 */
async function checkServerPassword(connection: IrcConnection, hash: string, password: string): Promise<void> {
  const { guard } = connection.context.accounts;
  const verdict = await guard.admit(SERVER_PASSWORD_GUARD, connection.address);
  if (connection.closed) {
    if (verdict.ok) verdict.attempt.end();
    return;
  }
  if (!verdict.ok) {
    connection.context.log.warn({ address: connection.address, retryAfterSeconds: verdict.retryAfterSeconds }, "irc server password refused: too many failures");
    connection.numeric(ERR.PASSWDMISMATCH, `Too many failed attempts; try again in ${secondsText(verdict.retryAfterSeconds)}`);
    connection.close("Bad password");
    return;
  }
  const { attempt } = verdict;
  try {
    const valid = await verifyPassword(hash, password);
    if (connection.closed) return;
    if (valid) {
      await guard.recordSuccess(SERVER_PASSWORD_GUARD, connection.address, attempt);
      accepted.add(connection);
      return;
    }
    const { replyDelayMs } = await guard.recordFailure(SERVER_PASSWORD_GUARD, connection.address, attempt);
    if (replyDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, replyDelayMs));
    if (!connection.closed) refuseServerPassword(connection, "wrong");
  } finally {
    attempt.end();
  }
}
