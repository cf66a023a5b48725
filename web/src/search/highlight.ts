/**
 * Which parts of a result's text to emphasise, by the server's own matching rule (docs/http-api.md,
 * "Search"): the query is words, punctuation separates words, case (and on SQLite accents) does not
 * count, each word matches whole, and the last word also matches as a prefix when it has 3 characters
 * or more ("hel" marks "hello"). The result is plain text segments; the view renders them as text
 * nodes, never as HTML.
 */

export interface Segment {
  readonly text: string;
  readonly match: boolean;
}

const WORD = /[\p{L}\p{N}\p{M}_]+/gu;
/** The shortest last word the server also searches as a prefix. */
const PREFIX_MIN_CHARS = 3;

function fold(word: string): string {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

export interface QueryTerms {
  /** Folded words that match whole. */
  readonly words: ReadonlySet<string>;
  /** The folded last word when it also matches as a prefix, else null. */
  readonly prefix: string | null;
}

export function queryTerms(query: string): QueryTerms {
  const words = (query.match(WORD) ?? []).map(fold).filter((word) => word !== "");
  const last = words.at(-1);
  return { words: new Set(words), prefix: last !== undefined && [...last].length >= PREFIX_MIN_CHARS ? last : null };
}

export function highlight(text: string, query: string): Segment[] {
  const terms = queryTerms(query);
  if (terms.words.size === 0) return [{ text, match: false }];
  const segments: Segment[] = [];
  let plainStart = 0;
  for (const found of text.matchAll(WORD)) {
    const word = found[0];
    const folded = fold(word);
    if (!terms.words.has(folded) && !(terms.prefix !== null && folded.startsWith(terms.prefix))) continue;
    const start = found.index;
    if (start > plainStart) segments.push({ text: text.slice(plainStart, start), match: false });
    segments.push({ text: word, match: true });
    plainStart = start + word.length;
  }
  if (plainStart < text.length) segments.push({ text: text.slice(plainStart), match: false });
  return segments;
}
