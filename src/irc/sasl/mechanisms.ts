import type { Config } from "../../config/schema.js";

/**
 * The SASL mechanisms this configuration offers, in the order CAP LS (`sasl=`) and
 * 908 RPL_SASLMECHS list them. OAUTHBEARER takes the HTTP API's access tokens, so it
 * is offered only when the web door (which issues them) is on.
 */
export function saslMechanisms(config: Config): string[] {
  const mechanisms = ["PLAIN"];
  if (config.auth.scramIterations > 0) mechanisms.push("SCRAM-SHA-256");
  if (config.http.listen.length > 0) mechanisms.push("OAUTHBEARER");
  return mechanisms;
}
