/**
 * Fills a PostgreSQL schema for the scale study: the schema made by the server's own
 * migrations (openStore), then accounts, channels and messages inserted as arrays
 * (`INSERT … SELECT * FROM unnest($1::text[], …)`, 10,000 rows a statement, the next
 * batch generated while the last one is written). The messages table's secondary
 * indexes (history, recipient, time and the full-text GIN index) are dropped for the
 * fill and made again afterwards from their own definitions (pg_indexes.indexdef), so
 * they end up exactly as the migrations made them, built in one sort instead of row
 * by row; then ANALYZE, as autovacuum would do on a server that grew to this size.
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { openStore } from "../../src/store/database.js";
import type { SharedCredentials } from "./scale-credentials.js";
import { accountName, channelName, type ScaleShape } from "./scale-shape.js";
import type { FillReport } from "./scale-fill-sqlite.js";

const MESSAGE_BATCH = 10_000;

/** Columns of a message batch, in the order of the INSERT below. */
interface Columns {
  msgid: string[];
  kind: string[];
  target: string[];
  target_display: string[];
  sender_nick: string[];
  sender_mask: string[];
  sender_account: string[];
  recipient_account: Array<string | null>;
  time: number[];
  text: string[];
}

function batchColumns(shape: ScaleShape, from: number, count: number): Columns {
  const c: Columns = { msgid: [], kind: [], target: [], target_display: [], sender_nick: [], sender_mask: [], sender_account: [], recipient_account: [], time: [], text: [] };
  shape.forEach(from, count, (m) => {
    c.msgid.push(m.msgid);
    c.kind.push(m.kind);
    c.target.push(m.target);
    c.target_display.push(m.targetDisplay);
    c.sender_nick.push(m.senderNick);
    c.sender_mask.push(m.senderMask);
    c.sender_account.push(m.senderAccount);
    c.recipient_account.push(m.recipientAccount);
    c.time.push(m.time);
    c.text.push(m.text);
  });
  return c;
}

const INSERT_MESSAGES = `insert into messages (msgid, kind, target, target_display, sender_nick, sender_mask, sender_account, recipient_account, time, text)
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[])`;

/** `url` must carry the schema (options=-c search_path=…); the schema must exist and be empty. */
export async function fillPostgres(url: string, shape: ScaleShape, credentials: SharedCredentials, say: (line: string) => void): Promise<FillReport> {
  const store = await openStore({ url, dataDir: "/nonexistent", migrate: true });
  await store.close();
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("set synchronous_commit = off");
    await client.query("set maintenance_work_mem = '1GB'");
    const o = shape.options;
    const created = o.endTime - o.spanMs - 24 * 3600 * 1000;
    const ids = Array.from({ length: o.accounts }, (_, i) => i + 1);
    const names = ids.map((id) => accountName(id - 1));
    await client.query(
      "insert into accounts (id, name, name_folded, created_at, verified_at, last_seen_at) select id, n, n, $2, $2, $3 from unnest($1::int[], $4::text[]) as a(id, n)",
      [ids, created, o.endTime, names],
    );
    await client.query("select setval(pg_get_serial_sequence('accounts', 'id'), greatest(1, (select max(id) from accounts)))");
    await client.query("insert into credentials (account_id, kind, value, created_at) select id, k, case k when 'argon2id' then $2 else $3 end, $4 from unnest($1::int[]) as a(id), unnest(array['argon2id', 'scram-sha-256']) as c(k)", [
      ids,
      credentials.argon2id,
      credentials.scram,
      created,
    ]);
    const channels = Array.from({ length: o.channels }, (_, k) => channelName(k));
    await client.query(
      "insert into channels (name, name_folded, founder_account_id, topic, topic_set_by, topic_set_at, modes, created_at) select n, n, case when $2 > 0 then (ord - 1) % $2 + 1 end, 'Topic of ' || n, $3, $4, '', $4 from unnest($1::text[]) with ordinality as c(n, ord)",
      [channels, o.accounts, accountName(0), created],
    );
    say(`postgres: ${o.accounts} accounts, ${o.channels} channels`);

    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      "select indexname as name, indexdef as def from pg_indexes where schemaname = current_schema() and tablename = 'messages' and indexname in ('messages_target_time', 'messages_recipient_time', 'messages_time', 'messages_text_search')",
    );
    for (const index of indexes) await client.query(`drop index ${pg.escapeIdentifier(index.name)}`);

    const t0 = performance.now();
    let lastReport = t0;
    let pending: Promise<unknown> = Promise.resolve();
    for (let from = 0; from < o.messages; from += MESSAGE_BATCH) {
      const c = batchColumns(shape, from, Math.min(MESSAGE_BATCH, o.messages - from));
      await pending;
      pending = client.query(INSERT_MESSAGES, [c.msgid, c.kind, c.target, c.target_display, c.sender_nick, c.sender_mask, c.sender_account, c.recipient_account, c.time, c.text]);
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        say(`postgres: ${from} messages, ${Math.round(from / ((now - t0) / 1000))} rows/s`);
      }
    }
    await pending;
    const messageSeconds = (performance.now() - t0) / 1000;
    say(`postgres: ${o.messages} messages in ${messageSeconds.toFixed(1)} s (${Math.round(o.messages / messageSeconds)} rows/s), without the secondary indexes`);
    const t1 = performance.now();
    for (const index of indexes) {
      const ti = performance.now();
      await client.query(index.def);
      say(`postgres: ${index.name} made in ${((performance.now() - ti) / 1000).toFixed(1)} s`);
    }
    await client.query("analyze");
    const searchSeconds = (performance.now() - t1) / 1000;
    const { rows: sizes } = await client.query<{ name: string; bytes: string }>(
      "select c.relname as name, pg_total_relation_size(c.oid)::text as bytes from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r' order by pg_total_relation_size(c.oid) desc",
    );
    const { rows: parts } = await client.query<{ name: string; bytes: string }>(
      "select c.relname as name, pg_relation_size(c.oid)::text as bytes from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'i', 't') order by pg_relation_size(c.oid) desc limit 10",
    );
    const bytes = sizes.reduce((sum, r) => sum + Number(r.bytes), 0);
    return { messageSeconds, searchSeconds, bytes, detail: parts.map((r) => `${r.name} ${(Number(r.bytes) / 2 ** 20).toFixed(0)} MiB`).join(", ") };
  } finally {
    await client.end().catch(() => {});
  }
}
