import type { Config } from "../config/schema.js";

/**
 * Where the secrets a node makes for itself (the access-token signing key when
 * `http.jwtKeyFile` is empty, the self-signed TLS certificate when `tls.certFile`/`keyFile`
 * are empty) are kept: in the database (table server_secrets) in a cluster, so every
 * node signs tokens and presents a certificate alike; in `<dataDir>` on a single node,
 * as before clusters existed. (The SCRAM and VAPID secrets are in the database always.)
 */
export function secretsInDatabase(config: Pick<Config, "cluster">): boolean {
  return config.cluster.redisUrl !== "";
}

/** The part of the server secrets the key and certificate loaders use (ServerSecretsRepository). */
export interface SharedSecrets {
  /** The stored secret `name`, or `make()`'s once stored; two nodes making one at once both get the one stored first. */
  getOrCreate(name: string, make: () => Buffer | Promise<Buffer>): Promise<Buffer>;
}
