/**
 * Fills a SQLite data directory for the scale study: opened through the server's
 * own openStore (so its migrations make the schema), then accounts, channels and
 * messages written with prepared statements in large transactions, and the
 * full-text index built the way SearchIndexer does it (INSERT … SELECT from
 * messages into messages_fts, then indexed_upto moved), only in bigger batches, and
 * then merged into one segment ('optimize'), and its words listed in search_terms.
 */
import { statSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStore } from "../../src/store/database.js";
import type { SharedCredentials } from "./scale-credentials.js";
import { accountName, channelName, type ScaleShape } from "./scale-shape.js";

/** Rows per transaction: big enough that commits cost nothing, small enough to report progress. */
const MESSAGE_BATCH = 50_000;
/** Rows per full-text indexing transaction. */
const FTS_BATCH = 500_000;

export interface FillReport {
  readonly messageSeconds: number;
  readonly searchSeconds: number | null;
  readonly bytes: number;
  readonly detail: string;
}

export async function fillSqlite(dataDir: string, shape: ScaleShape, credentials: SharedCredentials, buildSearchIndex: boolean, say: (line: string) => void): Promise<FillReport> {
  const store = await openStore({ url: "", dataDir, migrate: true });
  const db = store.sqlite!;
  try {
    // For the fill only (a connection setting, not stored): 1 GiB of page cache keeps the
    // indexes in memory; no fsync, since a crash here means starting again anyway.
    db.pragma("cache_size = -1048576");
    db.pragma("synchronous = OFF");
    const o = shape.options;
    const created = o.endTime - o.spanMs - 24 * 3600 * 1000;

    const insertAccount = db.prepare("insert into accounts (id, name, name_folded, email, created_at, verified_at, last_seen_at) values (?, ?, ?, null, ?, ?, ?)");
    const insertCredential = db.prepare("insert into credentials (account_id, kind, value, created_at) values (?, ?, ?, ?)");
    const insertChannel = db.prepare("insert into channels (name, name_folded, founder_account_id, topic, topic_set_by, topic_set_at, modes, created_at) values (?, ?, ?, ?, ?, ?, '', ?)");
    db.transaction(() => {
      for (let i = 0; i < o.accounts; i++) {
        const name = accountName(i);
        insertAccount.run(i + 1, name, name, created, created, o.endTime);
        insertCredential.run(i + 1, "argon2id", credentials.argon2id, created);
        insertCredential.run(i + 1, "scram-sha-256", credentials.scram, created);
      }
      for (let k = 0; k < o.channels; k++) {
        const name = channelName(k);
        insertChannel.run(name, name, o.accounts > 0 ? (k % o.accounts) + 1 : null, `Topic of ${name}`, accountName(0), created, created);
      }
    })();
    say(`sqlite: ${o.accounts} accounts, ${o.channels} channels`);

    const insert = db.prepare(
      "insert into messages (msgid, kind, target, target_display, sender_nick, sender_mask, sender_account, recipient_account, time, text, tags) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
    );
    const batch = db.transaction((from: number, count: number) => {
      shape.forEach(from, count, (m) => {
        insert.run(m.msgid, m.kind, m.target, m.targetDisplay, m.senderNick, m.senderMask, m.senderAccount, m.recipientAccount, m.time, m.text);
      });
    });
    const t0 = performance.now();
    let lastReport = t0;
    for (let from = 0; from < o.messages; from += MESSAGE_BATCH) {
      batch(from, Math.min(MESSAGE_BATCH, o.messages - from));
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        const done = Math.min(o.messages, from + MESSAGE_BATCH);
        say(`sqlite: ${done} messages, ${Math.round(done / ((now - t0) / 1000))} rows/s`);
      }
    }
    const messageSeconds = (performance.now() - t0) / 1000;
    say(`sqlite: ${o.messages} messages in ${messageSeconds.toFixed(1)} s (${Math.round(o.messages / messageSeconds)} rows/s)`);
    // The index of conversations (migration 0017), filled as the migration fills it: in one sorted insert.
    if (db.prepare("select 1 from sqlite_master where name = 'message_targets_state'").get() !== undefined) {
      const t1 = performance.now();
      db.transaction(() => {
        db.exec("insert into message_targets (target, time, id) select target, time, id from messages where id > (select indexed_upto from message_targets_state where id = 1) order by target, time, id");
        db.exec("update message_targets_state set indexed_upto = (select max(id) from messages) where id = 1");
      })();
      say(`sqlite: the index of conversations in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }

    let searchSeconds: number | null = null;
    if (buildSearchIndex) {
      const t1 = performance.now();
      const index = db.prepare("insert into messages_fts (rowid, text) select id, text from messages where id > ? and id <= ? order by id");
      const mark = db.prepare("update search_index_state set indexed_upto = ? where id = 1");
      const state = db.prepare("select indexed_upto as upto from search_index_state where id = 1");
      const maxId = (db.prepare("select coalesce(max(id), 0) as id from messages").get() as { id: number }).id;
      let upto = (state.get() as { upto: number }).upto;
      while (upto < maxId) {
        const to = Math.min(maxId, upto + FTS_BATCH);
        db.transaction(() => {
          index.run(upto, to);
          mark.run(to);
        })();
        upto = to;
      }
      // Big batches leave a score of large segments, and FTS5 would merge them on the first
      // write after the fill (a 2 s statement: the first retention batch, a message); a server's
      // indexer merges a little at every one of its small batches instead. One merged segment
      // is the closest cheap state to that.
      db.exec("insert into messages_fts (messages_fts) values ('optimize')");
      // The index's words, as migration 0010-search-terms fills them (the server's indexer keeps them after).
      db.exec("create virtual table temp.messages_fts_terms using fts5vocab(main, messages_fts, row)");
      db.exec("insert or ignore into search_terms (term) select term from temp.messages_fts_terms where term glob '*[^0-9]*'");
      db.exec("drop table temp.messages_fts_terms");
      searchSeconds = (performance.now() - t1) / 1000;
      say(`sqlite: full-text index of ${o.messages} messages in ${searchSeconds.toFixed(1)} s (${Math.round(o.messages / Math.max(0.001, searchSeconds))} rows/s)`);
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
    const file = join(dataDir, "cmymessage.db");
    const bytes = statSync(file).size;
    return { messageSeconds, searchSeconds, bytes, detail: tableSizes(db) };
  } finally {
    await store.close();
  }
}

/** Bytes per table and index (the dbstat virtual table, when SQLite was built with it). */
function tableSizes(db: BetterSqlite3.Database): string {
  try {
    const rows = db.prepare("select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc limit 12").all() as Array<{ name: string; bytes: number }>;
    return rows.map((r) => `${r.name} ${(r.bytes / 2 ** 20).toFixed(0)} MiB`).join(", ");
  } catch {
    return "(no dbstat)";
  }
}
