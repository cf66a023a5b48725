/**
 * What a person typed into a search box, as words. Input is never query syntax:
 * `OR`, `NEAR(`, `*`, `^`, `col:x` and quotes are text like any other, and each
 * store turns the words into its own full-text query with every word quoted
 * (src/store/search-match.ts).
 */

/** One word to find. All words must be found (AND). */
export interface SearchTerm {
  /** The word as typed (NFC); may hold punctuation, which the index treats as a word break. */
  readonly text: string;
  /** Also find words that start with it: only for the last word, when it is a plain word long enough. */
  readonly prefix: boolean;
}

export interface SearchLimits {
  /** Most characters (code points) of a query, after trimming. */
  readonly maxQueryChars: number;
  /** Most words in a query. */
  readonly maxWords: number;
}

export type SearchTermsResult =
  | { readonly ok: true; readonly terms: readonly SearchTerm[] }
  | { readonly ok: false; readonly reason: "empty-query" | "query-too-long" | "too-many-words" };

/**
 * The shortest last word searched as a prefix: "hel" finds "hello", but "a" or "he"
 * would match most of history and make the index read nearly all of its entries.
 */
export const MIN_PREFIX_CHARS = 3;

// The index (SQLite unicode61, PostgreSQL's parser) only keeps runs of letters and
// digits; a word with none of them can match nothing, and FTS5 silently drops an empty
// phrase from an AND, so such words are left out rather than sent.
const INDEXABLE = /[\p{L}\p{N}]/u;
// A prefix is only asked for on a single plain token, so both databases read it alike
// (PostgreSQL has no prefix form of a multi-token phrase).
const PLAIN_WORD = /^[\p{L}\p{N}]+$/u;

/**
 * Splits a query into words: trimmed, NFC, split on white space and control
 * characters, words without a letter or digit dropped, the last word typed a
 * prefix when it is a plain word of at least MIN_PREFIX_CHARS (after "hello %"
 * nothing is). An empty (or blank) query, one over `maxQueryChars` or with more
 * than `maxWords` words is refused. Zero terms (only punctuation) is not an
 * error: it finds nothing.
 */
export function searchTerms(query: string, limits: SearchLimits): SearchTermsResult {
  const trimmed = query.normalize("NFC").trim();
  if (trimmed === "") return { ok: false, reason: "empty-query" };
  if ([...trimmed].length > limits.maxQueryChars) return { ok: false, reason: "query-too-long" };
  // Control characters separate words too: nothing stored holds them, and PostgreSQL refuses NUL in text.
  const words = trimmed.split(/[\s\p{Cc}]+/u).filter((word) => word !== "");
  if (words.length > limits.maxWords) return { ok: false, reason: "too-many-words" };
  const last = words.length - 1;
  const terms = words
    .map((text, i): SearchTerm => ({ text, prefix: i === last && PLAIN_WORD.test(text) && [...text].length >= MIN_PREFIX_CHARS }))
    .filter((term) => INDEXABLE.test(term.text));
  return { ok: true, terms };
}
