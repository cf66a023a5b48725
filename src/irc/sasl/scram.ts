import { createHmac, randomBytes } from "node:crypto";
import type { AccountService } from "../../core/accounts/account-service.js";
import { SCRAM_SHA_256 } from "../../core/accounts/account-service.js";
import type { Account } from "../../core/accounts/ports.js";
import { checkScramProof, decodeScramVerifier, type ScramVerifier } from "../../auth/scram.js";
import { foldCase } from "../../core/chat/names.js";
import type { SaslExchange, SaslStep } from "./exchange.js";
import { secondsText, type Attempt } from "../../core/accounts/login-guard.js";

/** RFC 5802 attribute list: `a=1,b=2` → map; values may contain '='. */
function attributes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(",")) {
    if (part.length < 2 || part[1] !== "=") continue;
    map.set(part[0]!, part.slice(2));
  }
  return map;
}

/** The service name in logs and the login metrics (see LoginListener). */
const DOOR = "irc-sasl-scram";

function saslName(text: string): string {
  return text.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

/**
 * SASL SCRAM-SHA-256 (RFC 5802/7677) without channel binding, checked against the
 * verifier stored beside the argon2id hash. An unknown account gets a made-up salt
 * derived from a secret kept in the store (the same after a restart and on every
 * node), so the exchange looks the same and fails at the proof, like a wrong password.
 */
export function scramExchange(accounts: AccountService, address: string, secret: Buffer, iterationsForUnknown: number): SaslExchange {
  let state: "first" | "final" | "done" = "first";
  let account: Account | undefined;
  let verifier: ScramVerifier | null = null;
  let name = "";
  let clientFirstBare = "";
  let serverFirst = "";
  let nonce = "";
  let gs2Header = "";
  let serverSignature: Buffer | null = null;

  const failed = async (reason: string, attempt: Attempt): Promise<SaslStep> => {
    await accounts.recordFailure(name, address, DOOR, attempt);
    return { kind: "failure", reason };
  };
  /** Refused before a proof was checked: a failed attempt for metrics, not a guess for the guard. */
  const refused = (reason: string): SaslStep => {
    accounts.recordRefusal(address, DOOR, reason);
    return { kind: "failure", reason };
  };

  return {
    mechanism: "SCRAM-SHA-256",
    buffer: [],
    bufferedBytes: 0,
    async step(response: Buffer): Promise<SaslStep> {
      const text = response.toString("utf8");
      if (state === "first") {
        const match = /^([ny]),(?:a=([^,]*))?,(.*)$/.exec(text);
        if (!match) return refused("Malformed SCRAM client-first message (channel binding is not supported)");
        gs2Header = text.slice(0, text.length - match[3]!.length);
        clientFirstBare = match[3]!;
        const attrs = attributes(clientFirstBare);
        name = saslName(attrs.get("n") ?? "");
        // As with PLAIN, nobody may act for another account.
        const authzid = match[2] === undefined ? "" : saslName(match[2]);
        if (authzid !== "" && foldCase(authzid) !== foldCase(name)) return refused("Authorization identity must be empty or the same as the account");
        const clientNonce = attrs.get("r");
        if (!name || !clientNonce) return refused("Malformed SCRAM client-first message");
        account = await accounts.find(name);
        const stored = account && (await accounts.credential(account, SCRAM_SHA_256));
        verifier = stored ? decodeScramVerifier(stored) : null;
        const salt = verifier?.salt ?? createHmac("sha256", secret).update(foldCase(name)).digest().subarray(0, 16);
        const iterations = verifier?.iterations ?? iterationsForUnknown;
        nonce = clientNonce + randomBytes(18).toString("base64");
        serverFirst = `r=${nonce},s=${salt.toString("base64")},i=${iterations}`;
        state = "final";
        return { kind: "continue", challenge: Buffer.from(serverFirst) };
      }
      if (state === "final") {
        const proofAt = text.lastIndexOf(",p=");
        if (proofAt === -1) return refused("Malformed SCRAM client-final message");
        const withoutProof = text.slice(0, proofAt);
        const attrs = attributes(withoutProof);
        // The guard is asked here, where the proof is checked: an attempt takes its turn
        // only for the check, not across the client's round trips.
        const verdict = await accounts.admitLogin(name, address, DOOR);
        if (!verdict.ok) return { kind: "failure", reason: `Too many failed attempts; try again in ${secondsText(verdict.retryAfterSeconds)}` };
        if (attrs.get("c") !== Buffer.from(gs2Header).toString("base64") || attrs.get("r") !== nonce) return failed("SCRAM channel binding or nonce mismatch", verdict.attempt);
        const proof = Buffer.from(text.slice(proofAt + 3), "base64");
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        serverSignature = verifier && account ? checkScramProof(verifier, authMessage, proof) : null;
        if (!serverSignature || !account) return failed("Invalid account or password", verdict.attempt);
        // Proven: the turn ends; the login is recorded when the client acknowledges below.
        verdict.attempt.end();
        state = "done";
        return { kind: "continue", challenge: Buffer.from(`v=${serverSignature.toString("base64")}`) };
      }
      // The client acknowledged our signature (an empty response): the login is complete.
      if (!account) return { kind: "failure", reason: "SCRAM exchange out of order" };
      await accounts.recordLogin(account, address, DOOR);
      return { kind: "success", account };
    },
  };
}
