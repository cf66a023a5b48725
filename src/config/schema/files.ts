import { z } from "zod";

export const filesSection = z
  .strictObject({
    /** Bytes one account may store (0 = no limit). */
    quotaBytes: z.number().int().min(0).default(5 * 1024 ** 3),
    /** Files and folders one account may store (0 = no limit): a folder counts as a file. */
    quotaFiles: z.number().int().min(0).default(100_000),
    /** Largest single file (0 = no limit). */
    maxFileBytes: z.number().int().min(0).default(4 * 1024 ** 3),
    /** An upload cut off midway: "delete" leaves the old file (or none), "keep" keeps what arrived so it can be resumed. */
    interruptedUploads: z.enum(["delete", "keep"]).default("delete"),
    /**
     * How long an account's space stays open once nothing uses it on this node. Opening it
     * again walks the folder to correct the recorded usage (files changed behind the server's
     * back); the web client's one request per action would pay that walk each time without it.
     */
    remeasureAfterIdleSeconds: z.number().int().min(1).max(86_400).default(60),
  })
  .prefault({});
