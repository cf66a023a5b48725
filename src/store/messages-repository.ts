import { sql, type Kysely, type RawBuilder, type Selectable } from "kysely";
import type BetterSqlite3 from "better-sqlite3";
import type { Database, MessagesTable } from "./schema.js";
import type { CommitGate, ConversationSummary, HistoryQuery, HistoryRef, HistoryStore, PruneOptions, StoredMessage } from "../core/chat/history.js";
import type { Dialect } from "./dialect.js";
import { INDEXED_UPTO, SqliteTargetIndex } from "./message-targets.js";

/**
 * Retention by age deletes in statements sized to take about this long (see prune). Each
 * row also leaves the full-text index; on SQLite (10 million messages) that is 40–160 µs
 * a row, and the statement holds the event loop: a chat message arriving meanwhile waits
 * for it. During a pass over a million rows, 200 rows a statement kept chat p99 at 22 ms
 * (after the pass: 1.7 ms), 20 rows at 7 ms, these sizes at 2.8 ms (bench/README.md, "Scale").
 */
const PRUNE_STATEMENT_BUDGET_MS = 2;
/** The first statement's rows, and the bounds the size adapts within. */
const PRUNE_FIRST_ROWS = 50;
const PRUNE_MIN_ROWS = 5;
const PRUNE_MAX_ROWS = 2000;
/** Rows per statement when keeping N per conversation: each statement ranks the whole table, so fewer, bigger ones. */
const PRUNE_PER_TARGET_BATCH_ROWS = 2000;
/**
 * After each statement, retention waits this many times as long as the statement took:
 * with it, a pass holds the event loop (and SQLite's one writer) ~2 % of the time, so
 * only ~2 % of chat messages meet a statement at all and chat p99 stays near idle. A pass
 * over a million of 10 million rows then takes ~23 minutes in the background on SQLite;
 * an hourly pass of a server in its steady state deletes an hour's worth, in seconds. A
 * turn of the event loop alone was not enough: the next batch was queued for the
 * connection before the chat's history write, which then waited for it.
 */
const PRUNE_REST_FACTOR = 50;

/** The next statement's rows: scaled toward the time budget, at most doubling or halving at a time. */
function nextPruneRows(rows: number, tookMs: number): number {
  const scaled = Math.round((rows * PRUNE_STATEMENT_BUDGET_MS) / Math.max(tookMs, 0.05));
  return clamp(clamp(scaled, Math.ceil(rows / 2), rows * 2), PRUNE_MIN_ROWS, PRUNE_MAX_ROWS);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Rows per INSERT: 12 bound values each stays far below SQLite's variable limit. */
const INSERT_CHUNK = 500;

/**
 * `sender_account` of the messages aliased `alias`, folded as account names are folded
 * (foldCase: ASCII letters only; account names are nick-valid, so ASCII): the column holds
 * the account as registered (`Dora`), the account it is compared with is folded. SQLite's
 * lower() lowers ASCII only; PostgreSQL's follows the collation's locale (a Turkish one turns
 * `I` into `ı`), except under "C".
 */
export function foldedSenderAccount(alias: string, dialect: Dialect): RawBuilder<string | null> {
  const column = sql.ref(`${alias}.sender_account`);
  return dialect === "postgres" ? sql<string | null>`lower(${column} collate "C")` : sql<string | null>`lower(${column})`;
}

/** A row as history hands it back (also used by message search). */
export function toStored(row: Selectable<MessagesTable>): StoredMessage {
  return {
    msgid: row.msgid,
    kind: row.kind === "notice" ? "notice" : "privmsg",
    target: row.target,
    targetDisplay: row.target_display,
    senderNick: row.sender_nick,
    senderMask: row.sender_mask,
    senderAccount: row.sender_account,
    recipientAccount: row.recipient_account,
    time: row.time,
    text: row.text,
    tags: row.tags ? (JSON.parse(row.tags) as Record<string, string>) : null,
  };
}

function tagsText(message: StoredMessage): string | null {
  return message.tags && Object.keys(message.tags).length > 0 ? JSON.stringify(message.tags) : null;
}

function toRow(m: StoredMessage) {
  return {
    msgid: m.msgid,
    kind: m.kind,
    target: m.target,
    target_display: m.targetDisplay,
    sender_nick: m.senderNick,
    sender_mask: m.senderMask,
    sender_account: m.senderAccount,
    recipient_account: m.recipientAccount,
    time: m.time,
    text: m.text,
    tags: tagsText(m),
  };
}

/** One transaction of single-row inserts through one prepared statement (every value bound). */
function preparedAppend(sqlite: BetterSqlite3.Database): (messages: readonly StoredMessage[]) => void {
  const insert = sqlite.prepare(
    "insert into messages (msgid, kind, target, target_display, sender_nick, sender_mask, sender_account, recipient_account, time, text, tags) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  return sqlite.transaction((messages: readonly StoredMessage[]) => {
    for (const m of messages) insert.run(m.msgid, m.kind, m.target, m.targetDisplay, m.senderNick, m.senderMask, m.senderAccount, m.recipientAccount, m.time, m.text, tagsText(m));
  });
}

/** A batch not committed because its senders had already been told it failed (see CommitGate). */
export class BatchAbandoned extends Error {
  constructor() {
    super("the batch took too long and was not committed");
  }
}

/** What history is stored in: a Store, or a part of one (tests hand in a Kysely with a plugin). */
export interface HistoryDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * SQLite's connection (Store.sqlite): history batches are written with one prepared
   * statement run per row in one transaction, without the query builder's work per value,
   * which was a tenth of the cost of storing a message; and the index of conversations is
   * kept behind the writes on it (SqliteTargetIndex).
   */
  readonly sqlite: BetterSqlite3.Database | null;
  /** SQLite: what a write awaits first while the WAL restarts (Store.holdWrites). */
  holdWrites(): Promise<unknown> | null;
}

/** Channel and direct-message history. Every value is a bound parameter. */
export class MessagesRepository implements HistoryStore {
  readonly #db: Kysely<Database>;
  readonly #appendSqlite: ((messages: readonly StoredMessage[]) => void) | null;
  /** SQLite: the index of conversations, kept behind the writes; null on PostgreSQL. */
  readonly #targets: SqliteTargetIndex | null;
  readonly #holdWrites: () => Promise<unknown> | null;
  readonly #dialect: Dialect;

  constructor(
    store: HistoryDatabase,
    /** SQLite: told when the index of conversations could not be brought up to date (once per outage; reads go on). */
    onIndexError: (error: unknown) => void = () => {},
  ) {
    this.#db = store.db;
    this.#dialect = store.dialect;
    this.#holdWrites = () => store.holdWrites();
    if (store.dialect === "sqlite" && !store.sqlite) throw new Error("SQLite history needs the store's connection");
    this.#appendSqlite = store.sqlite ? preparedAppend(store.sqlite) : null;
    this.#targets = store.sqlite ? new SqliteTargetIndex(store.sqlite, onIndexError) : null;
  }

  async append(messages: readonly StoredMessage[], mayCommit: CommitGate = () => true): Promise<void> {
    if (messages.length === 0) return;
    const appendSqlite = this.#appendSqlite;
    const targets = this.#targets;
    if (appendSqlite && targets) {
      // Holding Kysely's connection keeps its own transactions (the search indexer's, retention's) apart from this one.
      await this.#db.connection().execute(async () => {
        // Looked at once the connection is ours: a RESTART may have begun while a transaction held it.
        const held = this.#holdWrites();
        if (held !== null) await held;
        // The write and its commit are one synchronous call: asked just before it.
        if (!mayCommit()) throw new BatchAbandoned();
        appendSqlite(messages);
        targets.appended(messages.length);
      });
      return;
    }
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
        const rows = messages.slice(i, i + INSERT_CHUNK).map(toRow);
        await trx.insertInto("messages").values(rows).execute();
      }
      // Thrown here, the transaction is rolled back: nothing of a batch its senders were told failed is kept.
      if (!mayCommit()) throw new BatchAbandoned();
    });
  }

  /** (time, id) of a reference, so bounds are exact even when several messages share a millisecond. */
  async #position(target: string, ref: HistoryRef | null): Promise<{ time: number; id: number } | null | "missing"> {
    if (!ref) return null;
    if (ref.kind === "time") return { time: ref.time, id: -1 };
    const row = await this.#db.selectFrom("messages").select(["time", "id"]).where("msgid", "=", ref.msgid).where("target", "=", target).executeTakeFirst();
    return row ? { time: row.time, id: row.id } : "missing";
  }

  /**
   * Runs `read` on the index of conversations. On SQLite, on Kysely's one connection (so no
   * append lands in between), after adding what is pending (SqliteTargetIndex); when that
   * write fails (a full disk) `tail` is true and the read must also take the stored messages
   * not in the index (ids above INDEXED_UPTO, a few thousand at most), so history stays
   * readable while nothing can be written. On PostgreSQL the database keeps its index.
   */
  async #withTargetIndex<T>(read: (db: Kysely<Database>, tail: boolean) => Promise<T>): Promise<T> {
    const targets = this.#targets;
    if (!targets) return read(this.#db, false);
    return this.#db.connection().execute(async (connection) => {
      let tail = false;
      if (targets.behind()) {
        // Adding what is pending is a write: it waits while the WAL restarts, as appends do.
        const held = this.#holdWrites();
        if (held !== null) await held;
        tail = !targets.tryCatchUp();
      }
      return read(connection, tail);
    });
  }

  async query(query: HistoryQuery): Promise<StoredMessage[]> {
    const from = await this.#position(query.target, query.from);
    const to = await this.#position(query.target, query.to);
    if (from === "missing" || to === "missing") return [];
    // Between two references the walk goes from the first towards the second, whichever is older.
    const before = from && to ? from.time > to.time || (from.time === to.time && from.id > to.id) : query.direction === "before";
    // A time reference excludes its own millisecond on the near side only for msgid refs;
    // for a time ref (id -1) "before t" means time < t and "after t" means time > t.
    const bound = (k: string, pos: { time: number; id: number }, side: "lt" | "gt", inclusive = false) => {
      const op = sql.raw((side === "lt" ? "<" : ">") + (inclusive ? "=" : ""));
      return pos.id === -1 ? sql`and ${sql.ref(`${k}.time`)} ${op} ${pos.time}` : sql`and (${sql.ref(`${k}.time`)}, ${sql.ref(`${k}.id`)}) ${op} (${pos.time}, ${pos.id})`;
    };
    /** The page's conditions and order on the rows of `k`. */
    const page = (k: string) => {
      const fromBound = from ? bound(k, from, before ? "lt" : "gt", query.fromInclusive === true) : sql``;
      const toBound = to ? bound(k, to, before ? "gt" : "lt") : sql``;
      const order = sql.raw(before ? "desc" : "asc");
      return {
        where: sql`${sql.ref(`${k}.target`)} = ${query.target} ${fromBound} ${toBound}`,
        orderBy: sql`order by ${sql.ref(`${k}.time`)} ${order}, ${sql.ref(`${k}.id`)} ${order} limit ${query.limit}`,
      };
    };
    const { rows } = await this.#withTargetIndex((db, tail) => {
      // PostgreSQL walks its index on messages.
      if (!this.#targets) return sql<Selectable<MessagesTable>>`select m.* from messages as m where ${page("m").where} ${page("m").orderBy}`.execute(db);
      // SQLite walks message_targets (t) and fetches each row by id.
      if (!tail) return sql<Selectable<MessagesTable>>`select m.* from message_targets as t cross join messages as m on m.id = t.id where ${page("t").where} ${page("t").orderBy}`.execute(db);
      // The index could not be brought up to date: its page and the tail's, merged.
      return sql<Selectable<MessagesTable>>`select m.* from (
          select * from (select t.time, t.id from message_targets as t where ${page("t").where} ${page("t").orderBy})
          union all
          select * from (select x.time, x.id from messages as x where x.id > ${sql.raw(INDEXED_UPTO)} and ${page("x").where} ${page("x").orderBy})
        ) as p cross join messages as m on m.id = p.id ${page("p").orderBy}`.execute(db);
    });
    if (before) rows.reverse();
    return rows.map(toStored);
  }

  async conversations(channelKeys: readonly string[], account: string | null, from: number, to: number, limit: number): Promise<ConversationSummary[]> {
    // Nothing asked for: nothing to find (and no boolean to bind, which better-sqlite3 refuses).
    if (channelKeys.length === 0 && account === null) return [];
    const sqlite = this.#targets !== null;
    const rows = await this.#withTargetIndex((db, tail) =>
      db
        .selectFrom("messages")
        .select(["target", sql<string>`max(${sql.ref("target_display")})`.as("display"), sql<number>`max(${sql.ref("time")})`.as("latest")])
        .where((eb) => {
          const ors = [];
          if (channelKeys.length > 0) {
            ors.push(
              sqlite
                ? // The channels' messages in the window, found through message_targets (and the tail not in it, see #withTargetIndex).
                  eb(
                    "id",
                    "in",
                    sql<number>`(select ${sql.ref("id")} from message_targets where ${sql.ref("target")} in (${sql.join(channelKeys)}) and ${sql.ref("time")} > ${from} and ${sql.ref("time")} < ${to}
                      ${tail ? sql`union all select ${sql.ref("id")} from messages where ${sql.ref("id")} > ${sql.raw(INDEXED_UPTO)} and ${sql.ref("target")} in (${sql.join(channelKeys)})` : sql``})`,
                  )
                : eb("target", "in", channelKeys),
            );
          }
          if (account !== null) ors.push(eb.or([eb(foldedSenderAccount("messages", this.#dialect), "=", account), eb("recipient_account", "=", account)]).and("target", "like", "@%"));
          return eb.or(ors);
        })
        .where("time", ">", from)
        .where("time", "<", to)
        .groupBy("target")
        .orderBy("latest", "desc")
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => ({ target: r.target, targetDisplay: r.display, latest: Number(r.latest) }));
  }

  /**
   * Deletes one message of one conversation (REDACT); whether it was there. Triggers
   * take it out of the search index in the same statement.
   */
  async deleteMessage(target: string, msgid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("messages").where("target", "=", target).where("msgid", "=", msgid).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async unreadDirect(account: string, since: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.#db
      .selectFrom("messages")
      .selectAll()
      .where("recipient_account", "=", account)
      .where("time", ">", since)
      .orderBy("time", "asc")
      .orderBy("id", "asc")
      .limit(limit)
      .execute();
    return rows.map(toStored);
  }

  async findMessage(target: string, msgid: string): Promise<StoredMessage | undefined> {
    const row = await this.#db.selectFrom("messages").selectAll().where("msgid", "=", msgid).where("target", "=", target).executeTakeFirst();
    return row && toStored(row);
  }

  /**
   * Deletes what retention no longer keeps, in small statements with a rest between them
   * (PRUNE_REST_FACTOR): on SQLite a statement runs on the event loop, and one DELETE of a
   * year's worth of rows (each also leaving the search index) would stall chat for as long
   * as it takes. By age, each statement's size adapts so that it takes about
   * PRUNE_STATEMENT_BUDGET_MS; `batchRows` fixes the size instead (tests). An aborted
   * `signal` ends the pass before its next statement: what was deleted stays deleted.
   */
  async prune(olderThan: number | null, keepPerTarget: number | null, { batchRows, signal }: PruneOptions = {}): Promise<number> {
    let deleted = 0;
    const inBatches = async (firstRows: number, adapt: boolean, deleteBatch: (rows: number) => Promise<number>): Promise<void> => {
      for (let rows = firstRows; !signal?.aborted; ) {
        const started = performance.now();
        const count = await deleteBatch(rows);
        deleted += count;
        if (count < rows) return;
        const took = performance.now() - started;
        if (adapt) rows = nextPruneRows(rows, took);
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, took * PRUNE_REST_FACTOR)));
      }
    };
    if (olderThan !== null) {
      await inBatches(batchRows ?? PRUNE_FIRST_ROWS, batchRows === undefined, async (rows) => {
        const result = await this.#db
          .deleteFrom("messages")
          .where("id", "in", (eb) => eb.selectFrom("messages").select("id").where("time", "<", olderThan).orderBy("time").limit(rows))
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    }
    if (keepPerTarget !== null) {
      // For each target, drop rows older than its Nth newest message.
      await inBatches(batchRows ?? PRUNE_PER_TARGET_BATCH_ROWS, false, async (rows) => {
        // SQLite ranks message_targets (a walk in its key's order); PostgreSQL its index on messages.
        // Messages not in message_targets yet (a catch-up that failed) are newer than every ranked
        // one: leaving them out keeps more of a conversation than asked, never less.
        const ranked = this.#targets
          ? sql<number>`(select id from (select id, row_number() over (partition by target order by time desc, id desc) as rank from message_targets) where rank > ${keepPerTarget} limit ${rows})`
          : null;
        const result = await this.#withTargetIndex((db) =>
          db
            .deleteFrom("messages")
            .where((eb) =>
              eb(
                "id",
                "in",
                ranked ??
                  eb
                    .selectFrom(
                      eb
                        .selectFrom("messages")
                        .select(["id", sql<number>`row_number() over (partition by ${sql.ref("target")} order by ${sql.ref("time")} desc, ${sql.ref("id")} desc)`.as("rank")])
                        .as("ranked"),
                    )
                    .select("ranked.id")
                    .where("ranked.rank", ">", keepPerTarget)
                    .limit(rows),
              ),
            )
            .executeTakeFirst(),
        );
        return Number(result.numDeletedRows);
      });
    }
    return deleted;
  }
}
