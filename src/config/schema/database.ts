import { z } from "zod";

export const databaseSection = z
  .strictObject({
    /** Empty: SQLite in <dataDir>/cmymessage.db. Or postgres://user:pass@host:port/db. */
    url: z.string().regex(/^$|^postgres(ql)?:\/\//, "empty (SQLite) or a postgres:// URL").default(""),
    /**
     * SQLite: the size (MiB) of the write-ahead log (`cmymessage.db-wal`) past which the
     * background checkpoint starts it again, and the size its file is cut back to then
     * (src/store/sqlite-checkpointer.ts). Read at start.
     */
    sqliteWalLimitMiB: z.number().int().min(1).max(65_536).default(64),
  })
  .prefault({});
