/** One IRC message as received from a client. */
export interface IrcMessage {
  /** Message tags, unescaped; null when the line had none. */
  readonly tags: ReadonlyMap<string, string> | null;
  readonly source: string | null;
  /** Upper-cased command name or three-digit numeric. */
  readonly command: string;
  readonly params: readonly string[];
}

/** RFC 1459: at most 15 parameters; after 14 middles the rest of the line is the last one. */
export const MAX_PARAMS = 15;

const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;

export function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === undefined) break; // a trailing lone backslash is dropped
    out += next === ":" ? ";" : next === "s" ? " " : next === "r" ? "\r" : next === "n" ? "\n" : next;
  }
  return out;
}

export function escapeTagValue(value: string): string {
  // NUL has no escape in IRCv3 tags and must never reach a client: it is dropped.
  return value.replace(/\0/g, "").replace(/[\\; \r\n]/g, (c) => (c === "\\" ? "\\\\" : c === ";" ? "\\:" : c === " " ? "\\s" : c === "\r" ? "\\r" : "\\n"));
}

function parseTags(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const item of text.split(";")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    const key = eq === -1 ? item : item.slice(0, eq);
    // Tags with malformed keys are dropped rather than failing the whole message.
    if (!TAG_KEY.test(key)) continue;
    tags.set(key, eq === -1 ? "" : unescapeTagValue(item.slice(eq + 1)));
  }
  return tags;
}

/**
 * Parses one line (without its terminator). Returns null when the line holds no
 * command (only spaces, or only a tag/source section), which servers silently ignore.
 */
export function parseMessage(line: string): IrcMessage | null {
  let pos = 0;
  const length = line.length;
  const skipSpaces = (): void => {
    while (pos < length && line.charCodeAt(pos) === 0x20) pos++;
  };
  let tags: Map<string, string> | null = null;
  let source: string | null = null;
  skipSpaces();
  if (line[pos] === "@") {
    const end = line.indexOf(" ", pos);
    if (end === -1) return null;
    tags = parseTags(line.slice(pos + 1, end));
    pos = end;
    skipSpaces();
  }
  if (line[pos] === ":") {
    const end = line.indexOf(" ", pos);
    if (end === -1) return null;
    source = line.slice(pos + 1, end);
    pos = end;
    skipSpaces();
  }
  if (pos >= length) return null;
  let end = line.indexOf(" ", pos);
  if (end === -1) end = length;
  const command = line.slice(pos, end).toUpperCase();
  pos = end;
  const params: string[] = [];
  for (;;) {
    skipSpaces();
    if (pos >= length) break;
    if (line[pos] === ":" || params.length === MAX_PARAMS - 1) {
      params.push(line.slice(line[pos] === ":" ? pos + 1 : pos));
      break;
    }
    end = line.indexOf(" ", pos);
    if (end === -1) end = length;
    params.push(line.slice(pos, end));
    pos = end;
  }
  return { tags, source, command, params };
}
