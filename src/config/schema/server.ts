import { z } from "zod";
import { seconds } from "./fields.js";

export const serverSection = z
  .strictObject({
    /** The server's name as IRC clients see it (the prefix of its numerics). */
    name: z.string().regex(/^[A-Za-z0-9.-]+\.[A-Za-z0-9.-]+$/, "a host name with a dot, e.g. irc.example.org").default("cmymessage.local"),
    network: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).default("CmyMessage"),
    motd: z.string().default("Welcome to CmyMessage.\nBe kind."),
    adminName: z.string().default("CmyMessage administrator"),
    adminEmail: z.string().default("admin@localhost"),
    /** Seconds a graceful shutdown may take before connections are cut. */
    shutdownTimeoutSeconds: seconds.default(5),
  })
  .prefault({});
