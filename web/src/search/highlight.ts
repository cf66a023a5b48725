/**
 * Which parts of a result's text to emphasise. The server's full-text search ignores case and accents
 * and matches word forms, so this does the same cheaply: a word is marked when, folded, it starts with
 * a folded query word ("Café" is marked for "cafe", "running" for "run"). The result is plain text
 * segments; the view renders them as text nodes, never as HTML.
 */

export interface Segment {
  readonly text: string;
  readonly match: boolean;
}

const WORD = /[\p{L}\p{N}\p{M}_]+/gu;
// Query syntax a search engine may take, never part of a message's words.
const OPERATORS = new Set(["AND", "OR", "NOT"]);

function fold(word: string): string {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

/** The folded words of a query, operators left out. */
export function queryTerms(query: string): string[] {
  const terms = (query.match(WORD) ?? []).filter((word) => !OPERATORS.has(word)).map(fold);
  return [...new Set(terms.filter((term) => term !== ""))];
}

export function highlight(text: string, query: string): Segment[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [{ text, match: false }];
  const segments: Segment[] = [];
  let plainStart = 0;
  for (const found of text.matchAll(WORD)) {
    const word = found[0];
    const folded = fold(word);
    if (!terms.some((term) => folded.startsWith(term))) continue;
    const start = found.index;
    if (start > plainStart) segments.push({ text: text.slice(plainStart, start), match: false });
    segments.push({ text: word, match: true });
    plainStart = start + word.length;
  }
  if (plainStart < text.length) segments.push({ text: text.slice(plainStart), match: false });
  return segments;
}
