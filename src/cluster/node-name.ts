import { hostname } from "node:os";
import type { Config } from "../config/schema.js";

/** This node's name in the cluster, logs and `/readyz`: `cluster.nodeName`, or the host name. */
export function nodeName(config: Config): string {
  return config.cluster.nodeName || hostname();
}
