import type { AccountService } from "../../core/accounts/account-service.js";
import type { SaslExchange, SaslStep } from "./exchange.js";
import { secondsText } from "../../core/accounts/login-guard.js";
import { foldCase } from "../../core/chat/names.js";

/** The service name in logs and the login metrics (see LoginListener). */
const DOOR = "irc-sasl-plain";

/** SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`, one step. */
export function plainExchange(accounts: AccountService, address: string): SaslExchange {
  /** Refused before a password was checked: a failed attempt for metrics, not a guess for the guard. */
  const refused = (reason: string): SaslStep => {
    accounts.recordRefusal(address, DOOR, reason);
    return { kind: "failure", reason };
  };
  return {
    mechanism: "PLAIN",
    buffer: [],
    bufferedBytes: 0,
    async step(response: Buffer): Promise<SaslStep> {
      const parts = response.toString("utf8").split("\0");
      if (parts.length !== 3) return refused("Malformed PLAIN message");
      const [authzid, authcid, password] = parts as [string, string, string];
      // We do not let one account act for another. Account names are compared as the accounts
      // compare them (IRC case folding), as SCRAM does: "PA1" is the account "pa1".
      if (authzid !== "" && foldCase(authzid) !== foldCase(authcid)) return refused("Authorization identity must be empty or the same as the account");
      const result = await accounts.login(authcid, password, address, DOOR);
      if (result.ok) return { kind: "success", account: result.account };
      return {
        kind: "failure",
        reason: result.reason === "throttled" ? `Too many failed attempts; try again in ${secondsText(result.retryAfterSeconds ?? 60)}` : "Invalid account or password",
      };
    },
  };
}
