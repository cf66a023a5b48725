/**
 * Generates the scale study's data (issue 12): a history of `--messages` messages and
 * `--accounts` accounts in the server's own schema, on SQLite (a data directory the
 * server can be started on) or in a fresh PostgreSQL schema. The shape (channels of
 * Zipf sizes, direct conversations, word frequencies, a year of time) is in
 * lib/scale-shape.ts. Prints rows/s and the database size per message.
 *
 *   node --import tsx bench/scale-data.ts --dir /work/scale-10m                 # SQLite
 *   node --import tsx bench/scale-data.ts --postgres [--postgres-url U]         # PostgreSQL
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createSchema, DEFAULT_POSTGRES_URL } from "./lib/postgres.js";
import { sharedCredentials } from "./lib/scale-credentials.js";
import { fillPostgres } from "./lib/scale-fill-postgres.js";
import { fillSqlite, type FillReport } from "./lib/scale-fill-sqlite.js";
import { MANIFEST_NAME, writeManifest } from "./lib/scale-manifest.js";
import { defaultShape, ScaleShape } from "./lib/scale-shape.js";
import { commandLine } from "./lib/command-line.js";

const usage = `usage: node --import tsx bench/scale-data.ts (--dir DIR | --postgres) [options]
  --dir DIR          SQLite: the data directory to make (must not hold a database yet)
  --postgres         PostgreSQL: a fresh schema cmy_scale_… on --postgres-url (printed; dropped by bench/scale.ts --drop or by hand)
  --postgres-url U   (${DEFAULT_POSTGRES_URL})
  --messages N       messages (10000000)
  --accounts N       accounts (50000)
  --channels N       channels (1000)
  --seed N           (12)
  --no-search-index  SQLite: leave the full-text index behind (the server's indexer then catches up, ~4,000 rows/s)
  --manifest FILE    where to write what was made (SQLite: DIR/${MANIFEST_NAME}; PostgreSQL: <tmp>/<schema>.json)
`;

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    postgres: { type: "boolean", default: false },
    "postgres-url": { type: "string", default: DEFAULT_POSTGRES_URL },
    messages: { type: "string", default: "10000000" },
    accounts: { type: "string", default: "50000" },
    channels: { type: "string", default: "1000" },
    seed: { type: "string", default: "12" },
    "no-search-index": { type: "boolean", default: false },
    manifest: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const { fail, whole: count } = commandLine(usage, values.help);

if ((values.dir === undefined) === !values.postgres) fail("give either --dir or --postgres");
const base = defaultShape(count("messages", values.messages), count("accounts", values.accounts), Date.now());
const shape = new ScaleShape({ ...base, channels: Math.max(1, count("channels", values.channels)), seed: count("seed", values.seed) });
const say = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const t0 = Date.now();
const credentials = await sharedCredentials();
let report: FillReport;
if (values.dir !== undefined) {
  const dir = resolve(values.dir);
  if (existsSync(join(dir, "cmymessage.db"))) fail(`${dir} already holds a database`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  report = await fillSqlite(dir, shape, credentials, !values["no-search-index"], say);
  writeManifest(values.manifest ?? join(dir, MANIFEST_NAME), {
    dialect: "sqlite",
    dataDir: dir,
    url: null,
    schema: null,
    shape: shape.options,
    searchIndexed: !values["no-search-index"],
    bytes: report.bytes,
    messageRowsPerSecond: shape.options.messages / report.messageSeconds,
    detail: report.detail,
  });
} else {
  const schema = await createSchema(values["postgres-url"]);
  say(`postgres: schema ${schema.schema}`);
  try {
    report = await fillPostgres(schema.url, shape, credentials, say);
  } catch (error) {
    await schema.drop();
    throw error;
  }
  const manifest = values.manifest ?? join(tmpdir(), `${schema.schema}.json`);
  writeManifest(manifest, {
    dialect: "postgres",
    dataDir: null,
    url: schema.url,
    schema: schema.schema,
    shape: shape.options,
    searchIndexed: true,
    bytes: report.bytes,
    messageRowsPerSecond: shape.options.messages / report.messageSeconds,
    detail: report.detail,
  });
  say(`manifest: ${manifest}`);
}
const perMessage = shape.options.messages > 0 ? report.bytes / shape.options.messages : Number.NaN;
say(`size: ${(report.bytes / 2 ** 20).toFixed(1)} MiB, ${perMessage.toFixed(0)} bytes per message (${report.detail})`);
say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.stdout.write(`${JSON.stringify({ bytes: report.bytes, bytesPerMessage: perMessage, messageSeconds: report.messageSeconds, searchSeconds: report.searchSeconds })}\n`);
