import { z } from "zod";

export const searchSection = z
  .strictObject({
    /** Longest search query (GET /api/v1/search `q`), in characters after trimming. */
    maxQueryChars: z.number().int().min(1).max(1000).default(200),
    /** Most words in one search query; each word is one more term for the index to intersect. */
    maxWords: z.number().int().min(1).max(64).default(16),
    /**
     * PostgreSQL: the longest one search may run in the database before the database cancels it
     * (statement_timeout) and the caller gets 503 search-timeout. A word in much of a large history
     * can take seconds of database CPU; without a bound it would go on after the client gave up.
     */
    timeoutSeconds: z.number().min(0.01).max(300).default(5),
    /**
     * Most searches at the database at once, on this node; more wait their turn (within
     * timeoutSeconds, then 503 search-timeout). On PostgreSQL each holds one of the node's
     * 10 pooled connections while it runs: searches side by side must leave the rest to
     * chat, whose messages are stored before they are delivered.
     */
    maxConcurrent: z.number().int().min(1).max(8).default(3),
  })
  .prefault({});
