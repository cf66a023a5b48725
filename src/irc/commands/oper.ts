import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR, RPL } from "../numerics.js";
import { showOwnModeChange } from "../irc-sessions.js";
import { maskMatches } from "../../core/chat/mask.js";
import { verifyPassword } from "../../auth/passwords.js";
import { secondsText } from "../../core/accounts/login-guard.js";

/** Failed OPER attempts a connection may make before it is closed. */
const MAX_FAILED_ATTEMPTS = 3;
const failures = new WeakMap<object, number>();

/**
 * The operator's counters in the shared login guard: a ':' is in no account name,
 * so they never mix with an account's.
 */
const guardName = (name: string): string => `oper:${name}`;

/**
 * Whether a connection from `address` (as `username`) may hold the operator status of
 * `block`: its hostMask, checked as at OPER. Asked when another connection joins an
 * operator's user (multiclient, always-on), which never sent OPER nor had its host checked.
 */
export function operatorHostAllowed(connection: IrcConnection, block: string | null, username: string): boolean {
  const operator = block === null ? undefined : connection.context.config.irc.operators.find((o) => o.name === block);
  if (!operator) return false;
  const [, hostPart = "*"] = operator.hostMask.split("@");
  return maskMatches(operator.hostMask, `${username}@${connection.address}`) || maskMatches(hostPart, connection.address);
}

export const oper: RegisteredCommand = {
  name: "OPER",
  minParams: 2,
  when: "registered",
  help: "OPER <name> <password> — become an IRC operator",
  async run(connection, user, params) {
    const [name, password] = [params[0]!, params[1]!];
    const { guard } = connection.context.accounts;
    const fail = (text: string): void => {
      const count = (failures.get(connection) ?? 0) + 1;
      failures.set(connection, count);
      // One answer for every failure (unknown name, wrong host, wrong password, throttled), as
      // Ergo answers 464 for all of them: a different one for the host would tell the password was right.
      connection.numeric(ERR.PASSWDMISMATCH, text);
      if (count >= MAX_FAILED_ATTEMPTS) connection.close("Too many failed OPER attempts");
    };
    // OPER guesses count in the login guard like any password: per address and per (operator, address).
    const verdict = await guard.admit(guardName(name), connection.address);
    if (!verdict.ok) {
      if (connection.closed) return;
      connection.context.log.warn({ address: connection.address, nick: user.nick, operator: name }, "OPER refused: too many failures");
      fail(`Too many failed attempts; try again in ${secondsText(verdict.retryAfterSeconds)}`);
      return;
    }
    const { attempt } = verdict;
    try {
      if (connection.closed) return;
      const operator = connection.context.config.irc.operators.find((o) => o.name === name);
      // The host first: outside the hostMask the password is checked against no hash (the same
      // work as for an unknown name), so the reply and its timing never depend on the password.
      const [, hostPart = "*"] = operator?.hostMask.split("@") ?? [];
      const hostAllowed =
        operator !== undefined && (maskMatches(operator.hostMask, `${user.username}@${user.hostname}`) || maskMatches(hostPart, user.address));
      const valid = await verifyPassword(hostAllowed ? operator.passwordHash : undefined, password);
      if (connection.closed) return;
      if (!operator || !hostAllowed || !valid) {
        const { replyDelayMs } = await guard.recordFailure(guardName(name), connection.address, attempt);
        connection.context.log.warn({ address: connection.address, nick: user.nick, operator: name, hostAllowed }, "failed OPER attempt");
        if (replyDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, replyDelayMs));
        if (!connection.closed) fail("Password incorrect");
        return;
      }
      await guard.recordSuccess(guardName(name), connection.address, attempt);
    } finally {
      // Whatever path left (the connection gone, a failure thrown), the turn is given back.
      attempt.end();
    }
    if (connection.closed) return;
    user.isOperator = true;
    user.operatorBlock = name;
    connection.context.core.userModesChanged(user);
    connection.context.log.info({ address: connection.address, nick: user.nick, operator: name }, "operator logged in");
    connection.numeric(RPL.YOUREOPER, "You are now an IRC operator");
    showOwnModeChange(connection, user, "+o");
  },
};
