import { z } from "zod";

export const accountsSection = z
  .strictObject({
    /** Connections logged in to one account are one user: one nick, shared channels (per account: NickServ SET MULTICLIENT). */
    multiclient: z.boolean().default(true),
    /** Users stay present in their channels with no connection, across restarts (per account: NickServ SET ALWAYS-ON). */
    alwaysOn: z.boolean().default(false),
    /** Most missed messages replayed to a connection without draft/chathistory when it attaches to an always-on user. */
    alwaysOnReplayMax: z.number().int().min(0).max(10_000).default(100),
    /**
     * Anyone may create an account (IRC REGISTER, NickServ REGISTER, HTTP POST /api/v1/accounts).
     * Off: only an operator can, with `cmymessage user add`.
     */
    selfRegistration: z.boolean().default(true),
    /** Accounts one IPv4 address or IPv6 /64 may create per hour through those doors, counted across nodes; 0 = no limit. */
    registrationsPerAddressPerHour: z.number().int().min(0).max(100_000).default(5),
    /**
     * How often a node asks the database whether the accounts logged in through it still
     * exist and have the password their sessions logged in with: a deletion or a password
     * change by `cmymessage user del`/`user passwd` or on another node ends their IRC and
     * FTP sessions within this many seconds (one made here, by NickServ or the HTTP API, at
     * once). The name is older than the password check, and kept.
     */
    deletedCheckSeconds: z.number().int().min(1).max(3600).default(30),
  })
  .prefault({});
