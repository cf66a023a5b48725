/**
 * An FTP reply: `code text`, or the multi-line form of RFC 959 (`code-first`,
 * continuation lines indented by a space, `code last`). Text never carries CR or
 * LF of its own (a name with a newline would otherwise forge a reply).
 */
export function formatReply(code: number, lines: string | readonly string[]): string {
  const texts = (typeof lines === "string" ? [lines] : lines).map((line) => line.replace(/[\r\n\0]/g, " "));
  if (texts.length <= 1) return `${code} ${texts[0] ?? ""}\r\n`;
  let out = `${code}-${texts[0]}\r\n`;
  for (const line of texts.slice(1, -1)) out += ` ${line}\r\n`;
  return `${out}${code} ${texts[texts.length - 1]}\r\n`;
}

/** RFC 959 path quoting in 257 replies: a double quote inside the name is doubled. */
export function quotePath(path: string): string {
  return `"${path.replace(/"/g, '""')}"`;
}
