import type { AccountService } from "../../core/accounts/account-service.js";
import type { SaslExchange, SaslStep } from "./exchange.js";
import { secondsText } from "../../core/accounts/login-guard.js";

/** SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`, one step. */
export function plainExchange(accounts: AccountService, address: string): SaslExchange {
  return {
    mechanism: "PLAIN",
    buffer: [],
    bufferedBytes: 0,
    async step(response: Buffer): Promise<SaslStep> {
      const parts = response.toString("utf8").split("\0");
      if (parts.length !== 3) return { kind: "failure", reason: "Malformed PLAIN message" };
      const [authzid, authcid, password] = parts as [string, string, string];
      // We do not let one account act for another.
      if (authzid !== "" && authzid !== authcid) return { kind: "failure", reason: "Authorization identity must be empty or the same as the account" };
      const result = await accounts.login(authcid, password, address, "irc-sasl");
      if (result.ok) return { kind: "success", account: result.account };
      return {
        kind: "failure",
        reason: result.reason === "throttled" ? `Too many failed attempts; try again in ${secondsText(result.retryAfterSeconds ?? 60)}` : "Invalid account or password",
      };
    },
  };
}
