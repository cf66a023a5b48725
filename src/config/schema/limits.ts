import { z } from "zod";

export const limitsSection = z
  .strictObject({
    /** Connections from one IPv4 address or one IPv6 /64, across all services. */
    connectionsPerIp: z.number().int().min(1).default(16),
    /** Connections across all services and addresses. */
    maxConnections: z.number().int().min(1).default(20000),
  })
  .prefault({});
