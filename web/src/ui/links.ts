/** http(s) URLs in text. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
/** Punctuation that, at the end of a URL, usually ends the sentence around it instead. */
const TRAILING = ".,;:!?')]";

export interface TextPart {
  readonly text: string;
  readonly href: string | null;
}

/**
 * The URL without the punctuation that follows it in the sentence; a closing parenthesis
 * stays when it closes one opened inside the URL (Wikipedia links), and only then.
 */
function withoutTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING.includes(url[end - 1]!)) {
    if (url[end - 1] === ")" && closesOneOpenedInside(url.slice(0, end))) break;
    end--;
  }
  return url.slice(0, end);
}

function closesOneOpenedInside(url: string): boolean {
  const count = (char: string): number => url.split(char).length - 1;
  return count("(") >= count(")");
}

/** Splits text into plain parts and links; only http and https become links. */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = withoutTrailingPunctuation(match[0]);
    let href: string | null = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
    } catch {
      href = null;
    }
    if (href === null) continue;
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start), href: null });
    parts.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), href: null });
  return parts;
}

/** The links of a text (for previews). */
export function linksOf(text: string): string[] {
  return splitLinks(text)
    .map((part) => part.href)
    .filter((href): href is string => href !== null);
}
