import { z } from "zod";

export const historySection = z
  .strictObject({
    /** Store every channel and direct message (needed for CHATHISTORY and offline messages). */
    enabled: z.boolean().default(true),
    /** Delete messages older than this many days; 0 keeps them forever. */
    maxAgeDays: z.number().min(0).default(0),
    /** Keep at most this many messages per channel or conversation; 0 = no limit. */
    maxMessagesPerTarget: z.number().int().min(0).default(0),
    /**
     * Under load (the previous commit held 16 messages or more), the shortest time from the start
     * of one commit of new messages to the next, in milliseconds: the messages of that time go in one commit,
     * which costs less per message, and each waits up to this long more before it is stored
     * and delivered. Below that load each is committed at the end of its turn of the event
     * loop, as with 0. Applies on reload.
     */
    commitIntervalMs: z.number().int().min(0).max(1000).default(10),
  })
  .prefault({});
