import { z } from "zod";

export const logSection = z
  .strictObject({
    level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** auto = readable lines on a terminal, JSON otherwise. */
    format: z.enum(["auto", "json", "pretty"]).default("auto"),
  })
  .prefault({});
