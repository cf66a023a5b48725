import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";

/** Why a cluster on SQLite is refused; the wording is part of the contract (docs, tests, operators' scripts). */
export const REDIS_NEEDS_POSTGRES =
  "cluster.redisUrl (CMY_REDIS_URL) needs database.url (CMY_DATABASE_URL) on PostgreSQL: nodes share their accounts and history there; SQLite is one node's file";

/**
 * What a valid configuration may still not serve with, checked before anything starts
 * (the schema checks each key; this checks keys that only make sense together).
 * Throws a ConfigError, which the CLI turns into exit code 2.
 */
export function checkServingConfig(config: Pick<Config, "cluster" | "database">): void {
  // Nodes on the Redis bus each on their own SQLite file would each see other accounts and history.
  if (config.cluster.redisUrl !== "" && config.database.url === "") throw new ConfigError(REDIS_NEEDS_POSTGRES);
}
