import { z } from "zod";
import { seconds } from "./fields.js";

export const chatSection = z
  .strictObject({
    /**
     * Largest message text (UTF-8 bytes) any door accepts; longer ones are refused, never cut.
     * Whatever fits is stored whole; the IRC adapter splits it over several lines when one
     * 512-byte line cannot carry it. 4096 is what Ergo's multiline max-bytes suggests.
     */
    maxMessageBytes: z.number().int().min(256).max(65536).default(4096),
    /**
     * Read markers kept per account (one per conversation); past it, the least recently
     * moved are forgotten. Bounds what one account can store and what each login loads.
     */
    maxReadMarkersPerAccount: z.number().int().min(10).max(1_000_000).default(1000),
    /**
     * In a cluster, how often a node reads the registered channels (ChanServ) from the database:
     * a channel registered or dropped on another node is known to this node's JOIN (operator
     * status, restored modes and bans) within this many seconds. ChanServ itself asks the
     * database at once. Read at start.
     */
    registrationRefreshSeconds: z.number().int().min(1).max(3600).default(5),
  })
  .prefault({});
