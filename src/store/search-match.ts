import { sql, type RawBuilder } from "kysely";
import type { SearchTerm } from "../core/chat/search-terms.js";

/**
 * The words of a search as each database's full-text query. Every word is data,
 * never syntax: in FTS5 it becomes a quoted phrase (inside double quotes only `"`
 * means anything, and it is doubled), so `OR`, `NEAR(`, `*`, `^` and `col:x` are
 * plain text; in PostgreSQL each word goes to phraseto_tsquery as a bound value.
 * Words are ANDed. A word that the index splits (`foo-bar`, `col:x`) must be found
 * as those tokens side by side.
 */

/**
 * An FTS5 MATCH expression: `"w1" "w2" "w3"*` (implicit AND; `*` after the last for a
 * prefix), or with the words the last one's prefix stands for given,
 * `"w1" "w2" AND ("w3" OR "w3s" OR …)`, which FTS5 reads newest first without merging
 * them all (see migration 0010-search-terms). The group needs the explicit AND (FTS5's
 * implicit AND joins phrases only), which unlike the implicit one does not leave out a
 * phrase the tokenizer makes nothing of: prefixWords gives no words then.
 */
export function fts5Match(terms: readonly SearchTerm[], prefixWords: readonly string[] | null = null): string {
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
  if (prefixWords === null) return terms.map((term) => `${quoted(term.text)}${term.prefix ? "*" : ""}`).join(" ");
  const group = `(${prefixWords.map(quoted).join(" OR ")})`;
  const others = terms.filter((term) => !term.prefix).map((term) => quoted(term.text));
  return others.length === 0 ? group : `${others.join(" ")} AND ${group}`;
}

/** A tsquery lexeme with a prefix flag, for to_tsquery: quoted, its quote and backslash escaped. */
export function tsqueryPrefix(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}':*`;
}

/**
 * A PostgreSQL tsquery for the words: `phraseto_tsquery('simple', $1) && …`, and for
 * a prefix word `to_tsquery('simple', $n)` with the quoted lexeme as its bound value.
 * phraseto_tsquery rather than websearch_to_tsquery: websearch reads `OR`, `-word`
 * and quotes as operators, and here input is only words. The configuration is a
 * literal so the planner matches the GIN index expression.
 */
export function postgresTsquery(terms: readonly SearchTerm[]): RawBuilder<unknown> {
  const parts = terms.map((term) => (term.prefix ? sql`to_tsquery('simple', ${tsqueryPrefix(term.text)})` : sql`phraseto_tsquery('simple', ${term.text.replace(ASCII_PUNCTUATION, " ")})`));
  return sql`(${sql.join(parts, sql` && `)})`;
}

/** What POSTGRES_SEARCH_TEXT turns into spaces, for a query's words (a prefix word has none). */
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * The text PostgreSQL's parser reads for search: ASCII punctuation turned into spaces, so a
 * URL, an e-mail address, a host, a path or a version is words, as SQLite's tokenizer makes
 * them, not one lexeme. Literals, not parameters: the planner uses the GIN index only for
 * this very expression (migration 0014, which spells the same literals).
 */
const POSTGRES_SEARCH_TEXT = {
  from: `'!"#$%&''()*+,-./:;<=>?@[\\]^_\`{|}~'`,
  to: `'${" ".repeat(32)}'`,
};

/** `to_tsvector('simple', …)` of a message text column, as the GIN index holds it. */
export function postgresDocument(column: string): RawBuilder<unknown> {
  return sql`to_tsvector('simple', translate(${sql.ref(column)}, ${sql.raw(POSTGRES_SEARCH_TEXT.from)}, ${sql.raw(POSTGRES_SEARCH_TEXT.to)}))`;
}
