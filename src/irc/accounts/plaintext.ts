import type { IrcConnection } from "../connection.js";
import { isLoopback } from "../../net/address.js";

/**
 * Whether a password may arrive in clear on this connection (SASL PLAIN, `PASS account:password`):
 * over TLS, from loopback when auth.plaintextSaslFromLoopback, or anywhere when auth.allowPlaintextSasl.
 */
export function plaintextPasswordAllowed(connection: IrcConnection): boolean {
  const { auth } = connection.context.config;
  return connection.secure || auth.allowPlaintextSasl || (auth.plaintextSaslFromLoopback && isLoopback(connection.address));
}
