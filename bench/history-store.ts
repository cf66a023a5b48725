/**
 * What storing chat history costs on SQLite, per message, through the server's own write
 * path (MessagesRepository.append with the background checkpointer, as `serve` runs it),
 * and what the full-text index adds (SearchIndexer, which indexes behind the writes).
 * Messages go in batches of `--batch` (one batch per turn of the event loop in the server;
 * ~24 a turn in the rooms benchmark at 10,000 messages a second) spread over
 * `--conversations` channels (the rooms benchmark's 200 rooms).
 *
 * Variants change the migrated schema to show what an index costs:
 *   as-shipped          the migrated schema
 *   recipient-all       messages_recipient_time over every message, channel messages (NULL)
 *                       included, as before migration 0011
 * The index of conversations kept behind the writes (migration 0017, message_targets)
 * against `messages_target_time` kept by each commit as before: `--dist` of a build from
 * before 0017 (the bench drives either). Each window ends with a history read, which adds
 * what is still pending to message_targets, so that work is counted in it.
 *
 * Figures: process CPU (every thread: the checkpointer's too) per stored message, bytes
 * the process handed to write() per message (`wchar` of /proc/self/io: the WAL, and the
 * checkpointer's copies into the database file), and the search indexer's CPU per message.
 * Pin it to a core (`taskset -c 1`); `--dir` on the disk operators keep data on (the default,
 * the system temporary directory, is the machine's disk here, not tmpfs).
 *
 *   taskset -c 1 node --import tsx bench/history-store.ts [--variants as-shipped,no-target-index]
 *       [--batch 24] [--conversations 200] [--messages 60000] [--repeat 3] [--dir D] [--dist dist]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./lib/servers.js";
import { median } from "./lib/median.js";
import { positiveInt } from "./lib/positive-int.js";
import { bytesHandedToWrite, selfCpuMicros } from "./lib/proc.js";
import type { StoredMessage } from "../src/core/chat/history.js";
import type { Store, StoreOptions } from "../src/store/database.js";
import type { MessagesRepository } from "../src/store/messages-repository.js";
import type { SearchIndexer } from "../src/store/search-indexer.js";

const VARIANTS = {
  "as-shipped": [],
  "recipient-all": ["drop index messages_recipient_time", "create index messages_recipient_time on messages (recipient_account, time)"],
} as const satisfies Record<string, readonly string[]>;
type Variant = keyof typeof VARIANTS;

const { values } = parseArgs({
  options: {
    dist: { type: "string", default: join(REPO_ROOT, "dist") },
    dir: { type: "string", default: tmpdir() },
    variants: { type: "string", default: Object.keys(VARIANTS).join(",") },
    batch: { type: "string", default: "24" },
    conversations: { type: "string", default: "200" },
    messages: { type: "string", default: "60000" },
    repeat: { type: "string", default: "3" },
  },
});

const batch = positiveInt("batch", values.batch);
const conversations = positiveInt("conversations", values.conversations);
const messages = positiveInt("messages", values.messages);
const repeat = positiveInt("repeat", values.repeat);
const variants = values.variants.split(",").map((v) => v.trim());
for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(", ")}`);

const dist = resolve(values.dist);
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(dist, path)).href)) as T;
const { openStore } = await load<{ openStore(options: StoreOptions): Promise<Store> }>("store/database.js");
const { MessagesRepository: Repository } = await load<{ MessagesRepository: typeof MessagesRepository }>("store/messages-repository.js");
const { SearchIndexer: Indexer } = await load<{ SearchIndexer: typeof SearchIndexer }>("store/search-indexer.js");

// Chat-like text: a dozen words of a small vocabulary, one with a number in it, as people write.
const WORDS = "the quick brown fox jumps over lazy dog hello world meeting tomorrow lunch server deploy failed again please check logs thanks great idea maybe later".split(" ");
let seed = 12345;
const random = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
const text = (i: number): string => Array.from({ length: 12 }, (_, k) => WORDS[random(WORDS.length)]! + (k === 3 ? String(i % 5000) : "")).join(" ");

function makeMessages(count: number, start: number, prefix: string): StoredMessage[] {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    const room = random(conversations);
    return {
      // As the server's ids are: a per-process prefix and a zero-padded counter (message-ids.ts).
      msgid: `${prefix}${i.toString(36).padStart(8, "0")}`,
      kind: "privmsg",
      target: `#room${room}`,
      targetDisplay: `#Room${room}`,
      senderNick: `user${random(2000)}`,
      senderMask: "user@127.0.0.1",
      senderAccount: null,
      recipientAccount: null,
      time: Date.now(),
      text: text(i),
      tags: null,
    };
  });
}

/** A build before 0017 took the store's parts one by one. */
type RepositoryBefore0017 = new (db: Store["db"], sqlite: Store["sqlite"], holdWrites: () => Promise<unknown> | null) => MessagesRepository;

function openRepository(store: Store): MessagesRepository {
  const behind = store.sqlite!.prepare("select 1 from sqlite_master where name = 'message_targets_state'").get() !== undefined;
  if (behind) return new Repository(store);
  return new (Repository as unknown as RepositoryBefore0017)(store.db, store.sqlite, () => store.holdWrites());
}

interface Reading {
  readonly appendMicros: number;
  readonly bytes: number;
  readonly indexMicros: number;
  /** What messages_recipient_time covers in the run's schema (the build decides as-shipped's). */
  readonly recipientIndex: "direct messages" | "every message" | "none";
}

async function measure(variant: Variant, round: number): Promise<Reading> {
  // Every variant and round stores the same texts in the same rooms.
  seed = 12345;
  const dataDir = mkdtempSync(join(values.dir, "cmy-history-store-"));
  let failure: Error | null = null;
  let store: Store | null = null;
  try {
    store = await openStore({ url: "", dataDir, migrate: true, checkpointInBackground: (error) => (failure ??= error) });
    const sqlite = store.sqlite;
    if (sqlite === null) throw new Error("expected SQLite");
    for (const statement of VARIANTS[variant]) sqlite.exec(statement);
    const repository = openRepository(store);
    const definition = (sqlite.prepare("select sql from sqlite_master where type = 'index' and name = 'messages_recipient_time'").get() as { sql: string } | undefined)?.sql;
    const recipientIndex = definition === undefined ? "none" : /\bwhere\b/i.test(definition) ? "direct messages" : "every message";
    // The checkpoint thread copies the WAL every 250 ms: each window starts with nothing
    // left to copy and ends by copying what it wrote, so that work is counted in it.
    const indexer = new Indexer(store.db, store.dialect);
    const prefix = `r${round}${variant.slice(0, 3)}`;
    const warmUp = Math.min(200, Math.ceil(messages / batch / 10)) * batch;
    const all = makeMessages(warmUp + messages, 0, prefix);
    for (let i = 0; i < warmUp; i += batch) await repository.append(all.slice(i, i + batch));
    // The index of conversations as a page of history reads it (a build before 0017 has nothing pending).
    const readHistory = () => repository.query({ target: "#room0", direction: "before", from: null, to: null, limit: 1 });
    await readHistory();
    await indexer.catchUp();
    const checkpoint = (): unknown => sqlite.pragma("wal_checkpoint(PASSIVE)");
    checkpoint();

    const bytesBefore = bytesHandedToWrite("self");
    const cpuBefore = selfCpuMicros();
    for (let i = warmUp; i < all.length; i += batch) await repository.append(all.slice(i, i + batch));
    await readHistory();
    checkpoint();
    const appendMicros = (selfCpuMicros() - cpuBefore) / messages;
    const bytes = (bytesHandedToWrite("self") - bytesBefore) / messages;

    const indexBefore = selfCpuMicros();
    await indexer.catchUp();
    checkpoint();
    const indexMicros = (selfCpuMicros() - indexBefore) / messages;
    if (failure) throw failure;
    return { appendMicros, bytes, indexMicros, recipientIndex };
  } finally {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.stdout.write(`history store from ${dist} in ${values.dir}: ${messages} messages per run in batches of ${batch} over ${conversations} conversations, ${repeat} round(s)\n`);
const readings = new Map<Variant, Reading[]>(variants.map((v) => [v as Variant, []]));
for (let round = 0; round < repeat; round++) {
  // Rotate the order, so a slow drift of the machine hits every variant alike.
  const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
  for (const variant of order) {
    const reading = await measure(variant, round);
    readings.get(variant)!.push(reading);
    process.stdout.write(`  [${round + 1}/${repeat}] ${variant} (recipient index over ${reading.recipientIndex}): ${reading.appendMicros.toFixed(2)} µs CPU and ${Math.round(reading.bytes)} B written per stored message; search index ${reading.indexMicros.toFixed(2)} µs\n`);
  }
}
process.stdout.write("\n| variant | stored: CPU µs per message | bytes written per message | search index: CPU µs per message |\n|---|---:|---:|---:|\n");
for (const [variant, list] of readings) {
  const each = (f: (r: Reading) => number): string => list.map((r) => f(r).toFixed(2)).join(", ");
  process.stdout.write(
    `| ${variant} | ${median(list.map((r) => r.appendMicros)).toFixed(2)} (${each((r) => r.appendMicros)}) | ${Math.round(median(list.map((r) => r.bytes)))} | ${median(list.map((r) => r.indexMicros)).toFixed(2)} |\n`,
  );
}
