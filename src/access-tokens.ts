import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import type { AccessTokens, AccessTokenSettings } from "./auth/tokens.js";
import type { SharedSecrets } from "./cluster/shared-secrets.js";

export function accessTokenSettings(config: Config): AccessTokenSettings {
  return { issuer: config.server.name, lifetimeMinutes: config.http.accessTokenMinutes };
}

/**
 * The HTTP API's access tokens: issued by the web door, and accepted by IRC too (SASL
 * OAUTHBEARER, so a browser that logged in over HTTP needs no password on /ws). Made
 * by the composition root, before either door starts; null when the web door is off,
 * and then no signing key is loaded or made either. `shared`: in a cluster, the server
 * secrets where the generated key is kept (see secretsInDatabase); null: <dataDir>/keys.
 */
export async function openAccessTokens(config: Config, log: Logger, shared: SharedSecrets | null): Promise<AccessTokens | null> {
  if (config.http.listen.length === 0) return null;
  // Imported here, not above: an IRC-only start never loads the JWT library.
  const [{ loadTokenKey }, { AccessTokens }] = await Promise.all([import("./auth/token-key.js"), import("./auth/tokens.js")]);
  const key = await loadTokenKey({ keyFile: config.http.jwtKeyFile, dataDir: config.dataDir, shared });
  log.info({ path: key.path, generated: key.generated }, key.generated ? "made an access-token signing key" : "access-token signing key loaded");
  return new AccessTokens(key, accessTokenSettings(config));
}
