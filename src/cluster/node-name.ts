import { hostname } from "node:os";
import type { ClusterConfig } from "../config/schema.js";

/**
 * This node's name in logs, `/readyz` and the cluster: `cluster.nodeName` (CMY_NODE_NAME),
 * or the host name when that is empty (a container's host name is its id, unique enough).
 */
export function nodeName(config: { readonly cluster: Pick<ClusterConfig, "nodeName"> }): string {
  return config.cluster.nodeName || hostname();
}
