import type { AnytimeCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR, RPL } from "../numerics.js";
import { plaintextPasswordAllowed } from "../accounts/plaintext.js";
import { plainExchange } from "../sasl/plain.js";
import { scramExchange } from "../sasl/scram.js";
import { oauthbearerExchange } from "../sasl/oauthbearer.js";
import { saslMechanisms } from "../sasl/mechanisms.js";
import type { SaslExchange } from "../sasl/exchange.js";
import { logIn } from "../accounts/login.js";

/** AUTHENTICATE data comes in 400-byte base64 chunks; a shorter chunk (or "+") ends it. */
const CHUNK = 400;
/** Bytes of decoded client data one SASL step may carry. */
const MAX_RESPONSE_BYTES = 8192;

function start(connection: IrcConnection, mechanism: string): SaslExchange | string {
  const { accounts, config } = connection.context;
  if (mechanism === "PLAIN") {
    // A password in clear text must not cross a network unencrypted.
    if (!plaintextPasswordAllowed(connection)) return "SASL PLAIN needs a TLS connection";
    return plainExchange(accounts, connection.address);
  }
  if (mechanism === "SCRAM-SHA-256" && config.auth.scramIterations > 0) return scramExchange(accounts, connection.address, connection.context.scramSecret, config.auth.scramIterations);
  // A 15-minute bearer token, not a password: allowed on any transport (docs/accounts.md).
  const tokens = connection.context.tokens;
  if (mechanism === "OAUTHBEARER" && tokens) return oauthbearerExchange(accounts, tokens, connection.address);
  return "unknown";
}

function fail(connection: IrcConnection, reason: string): void {
  connection.sasl = null;
  connection.numeric(ERR.SASLFAIL, `SASL authentication failed: ${reason}`);
}

function tooLong(connection: IrcConnection): void {
  connection.sasl = null;
  connection.numeric(ERR.SASLTOOLONG, "SASL message too long");
}

function send(connection: IrcConnection, data: Buffer): void {
  const encoded = data.length === 0 ? "" : data.toString("base64");
  for (let i = 0; i <= encoded.length; i += CHUNK) {
    const chunk = encoded.slice(i, i + CHUNK);
    connection.sendLine(`AUTHENTICATE ${chunk === "" ? "+" : chunk}\r\n`);
    if (chunk.length < CHUNK) break;
  }
}

export const authenticate: AnytimeCommand = {
  name: "AUTHENTICATE",
  minParams: 1,
  when: "any",
  help: "AUTHENTICATE <mechanism>|<base64>|* — SASL login (PLAIN, SCRAM-SHA-256, OAUTHBEARER)",
  async run(connection, params) {
    const argument = params[0]!;
    if (argument === "*") {
      if (!connection.sasl) return;
      connection.sasl = null;
      connection.numeric(ERR.SASLABORTED, "SASL authentication aborted");
      return;
    }
    if (connection.account) {
      connection.numeric(ERR.SASLALREADY, "You have already authenticated using SASL");
      return;
    }
    const exchange = connection.sasl;
    if (!exchange) {
      const mechanism = argument.toUpperCase();
      const started = start(connection, mechanism);
      if (typeof started === "string") {
        if (started === "unknown") connection.numeric(RPL.SASLMECHS, saslMechanisms(connection.context.config).join(","), "are available SASL mechanisms");
        fail(connection, started === "unknown" ? `${mechanism} is not supported` : started);
        return;
      }
      connection.sasl = started;
      connection.sendLine("AUTHENTICATE +\r\n");
      return;
    }
    if (argument !== "+") {
      // IRCv3 SASL 3.1: a client sends at most 400 bytes a line; a longer one ends the exchange (as in Ergo).
      if (argument.length > CHUNK) return tooLong(connection);
      exchange.buffer.push(Buffer.from(argument, "base64"));
      exchange.bufferedBytes += argument.length;
      if (exchange.bufferedBytes > (MAX_RESPONSE_BYTES * 4) / 3) return tooLong(connection);
      if (argument.length === CHUNK) return; // more chunks follow
    }
    const response = Buffer.concat(exchange.buffer);
    exchange.buffer = [];
    exchange.bufferedBytes = 0;
    let step;
    try {
      step = await exchange.step(response);
    } catch (error) {
      connection.context.log.error({ err: error, address: connection.address }, "SASL step failed");
      if (connection.sasl === exchange) fail(connection, "accounts are temporarily unavailable; try again later");
      return;
    }
    if (connection.closed || connection.sasl !== exchange) return;
    if (step.kind === "continue") {
      send(connection, step.challenge);
    } else if (step.kind === "failure") {
      fail(connection, step.reason);
    } else {
      connection.sasl = null;
      await logIn(connection, step.account);
      connection.numeric(RPL.SASLSUCCESS, "SASL authentication successful");
    }
  },
};
