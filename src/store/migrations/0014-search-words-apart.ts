import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * PostgreSQL's text search parser keeps a URL, an e-mail address, a host name, a file path
 * or a version whole (`github.com/torvalds/linux` is one lexeme), so none of the words in
 * it could be found, where SQLite's unicode61 tokenizer, and docs/http-api.md, separate
 * words at every punctuation mark. The index is now on the text with ASCII punctuation
 * turned into spaces (`translate`, locale-free, immutable), so both databases find the same
 * words. The queries use the same expression (search-match.ts POSTGRES_SEARCH_TEXT: the
 * two must stay equal, or the index is not used).
 *
 * Built under another name first (writes wait meanwhile, reads go on), then swapped, as in
 * 0011: ~1 minute per 10 million messages. SQLite is unchanged.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== "postgres") return;
  await sql`create index messages_text_search_words on messages using gin (to_tsvector('simple', translate(text, '!"#$%&''()*+,-./:;<=>?@[\\]^_\`{|}~', '                                ')))`.execute(db);
  await sql`drop index messages_text_search`.execute(db);
  await sql`alter index messages_text_search_words rename to messages_text_search`.execute(db);
}
