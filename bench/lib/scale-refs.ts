/**
 * Reads the database the server under test runs on, beside it: message ids to use as
 * CHATHISTORY / HTTP references (spread over a conversation's whole time range, so
 * deep history is asked for as often as recent), and the time that cuts off a given
 * share of the history (the retention pass's cut-off). SQLite is opened read-only
 * (WAL lets it read beside the server's writer); PostgreSQL through a client of its own.
 */
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { Rng } from "./scale-shape.js";

export interface RefReader {
  /** `count` msgids of `target` at random times over its range (fewer if it has fewer). */
  msgids(target: string, count: number, rng: Rng): Promise<string[]>;
  /** `count` positions (time, id) of messages picked at random over all of history: where a search's `before=` cursor may point. */
  positions(count: number, rng: Rng): Promise<Array<{ time: number; id: number }>>;
  /** The time of the message at position `offset` in time order. */
  timeAt(offset: number): Promise<number | null>;
  close(): Promise<void>;
}

export async function openRefReader(dialect: "sqlite" | "postgres", dataDir: string, url: string): Promise<RefReader> {
  if (dialect === "sqlite") {
    const db = new BetterSqlite3(join(dataDir, "cmymessage.db"), { readonly: true });
    const range = db.prepare("select min(time) as lo, max(time) as hi from messages where target = ?");
    const at = db.prepare("select msgid from messages where target = ? and time >= ? order by time, id limit 1");
    const nth = db.prepare("select time from messages order by time limit 1 offset ?");
    const ids = db.prepare("select min(id) as lo, max(id) as hi from messages");
    const byId = db.prepare("select time, id from messages where id >= ? order by id limit 1");
    return {
      async msgids(target, count, rng) {
        const { lo, hi } = range.get(target) as { lo: number | null; hi: number | null };
        if (lo === null || hi === null) return [];
        return Array.from({ length: count }, () => (at.get(target, Math.floor(lo + rng.next() * (hi - lo))) as { msgid: string }).msgid);
      },
      async positions(count, rng) {
        const { lo, hi } = ids.get() as { lo: number | null; hi: number | null };
        if (lo === null || hi === null) return [];
        return Array.from({ length: count }, () => byId.get(Math.floor(lo + rng.next() * (hi - lo))) as { time: number; id: number });
      },
      async timeAt(offset) {
        const row = nth.get(offset) as { time: number } | undefined;
        return row?.time ?? null;
      },
      async close() {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  return {
    async msgids(target, count, rng) {
      const { rows } = await client.query<{ lo: string | null; hi: string | null }>("select min(time) as lo, max(time) as hi from messages where target = $1", [target]);
      const lo = rows[0]?.lo;
      const hi = rows[0]?.hi;
      if (lo == null || hi == null) return [];
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const time = Math.floor(Number(lo) + rng.next() * (Number(hi) - Number(lo)));
        const found = await client.query<{ msgid: string }>("select msgid from messages where target = $1 and time >= $2 order by time, id limit 1", [target, time]);
        out.push(found.rows[0]!.msgid);
      }
      return out;
    },
    async positions(count, rng) {
      const { rows } = await client.query<{ lo: string | null; hi: string | null }>("select min(id) as lo, max(id) as hi from messages");
      const lo = rows[0]?.lo;
      const hi = rows[0]?.hi;
      if (lo == null || hi == null) return [];
      const out: Array<{ time: number; id: number }> = [];
      for (let i = 0; i < count; i++) {
        const id = Math.floor(Number(lo) + rng.next() * (Number(hi) - Number(lo)));
        const found = await client.query<{ time: string; id: string }>("select time, id from messages where id >= $1 order by id limit 1", [id]);
        out.push({ time: Number(found.rows[0]!.time), id: Number(found.rows[0]!.id) });
      }
      return out;
    },
    async timeAt(offset) {
      const { rows } = await client.query<{ time: string }>("select time from messages order by time limit 1 offset $1", [offset]);
      return rows[0] ? Number(rows[0].time) : null;
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}
