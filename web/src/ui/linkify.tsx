import type { ComponentChildren } from "preact";

/** http(s) URLs in text; trailing punctuation that usually ends a sentence is left out. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[).,;:!?'\]]+$/;

export interface TextPart {
  readonly text: string;
  readonly href: string | null;
}

/** Splits text into plain parts and links; only http and https become links. */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0];
    const trailing = TRAILING.exec(url);
    // Keep a closing parenthesis that closes one opened inside the URL (Wikipedia links).
    if (trailing && !(trailing[0].startsWith(")") && url.includes("("))) url = url.slice(0, url.length - trailing[0].length);
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

export function Linkified({ text }: { text: string }): ComponentChildren {
  return splitLinks(text).map((part, i) =>
    part.href === null ? (
      part.text
    ) : (
      <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
        {part.text}
      </a>
    ),
  );
}
