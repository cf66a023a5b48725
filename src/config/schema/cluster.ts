import { z } from "zod";

export const clusterSection = z
  .strictObject({
    /**
     * redis://[user:password@]host:port[/db] (or rediss:// for TLS): several nodes share this Redis
     * as their bus, and PostgreSQL as their database. Empty: one node on the in-process bus.
     * The db number separates clusters on one Redis (their channels are named after it).
     */
    redisUrl: z.string().regex(/^$|^rediss?:\/\//, "empty (one node) or a redis:// or rediss:// URL").default(""),
    /** This node's name in logs, metrics and `/readyz`; unique in the cluster. Empty: the host name. */
    nodeName: z.string().regex(/^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' and '-', at most 63").default(""),
    /**
     * A node that has not renewed its heartbeat for this long is dead: its users QUIT everywhere and their nicks are free.
     * Also how long a file upload's reservation holds quota unless its node renews it (docs/files.md).
     */
    nodeTimeoutSeconds: z.number().int().min(2).max(300).default(15),
  })
  .prefault({});
