import { isUtf8 } from "node:buffer";
import { withoutTelnetCommands } from "./telnet.js";

/** One FTP command line as the session runs it. */
export interface CommandLine {
  /** The first word, upper-cased (verbs are case-insensitive, RFC 959 §5.3.1). */
  readonly verb: string;
  /** Everything after the first space, exactly as sent (a path may hold spaces); "" when there is none. */
  readonly argument: string;
}

export function splitCommandLine(line: string): CommandLine {
  const space = line.indexOf(" ");
  return {
    verb: (space === -1 ? line : line.slice(0, space)).toUpperCase(),
    argument: space === -1 ? "" : line.slice(space + 1),
  };
}

/**
 * The text of one framed command line, Telnet commands dropped; null when its bytes are
 * not UTF-8. Names are UTF-8 here (RFC 2640); decoding other bytes with replacement
 * characters would store `r\xe9sum\xe9` and `r\xe8sum\xe8` (Latin-1) as one and the same
 * name, so such a line is refused instead.
 */
export function decodeCommandLine(bytes: Buffer): string | null {
  const clean = withoutTelnetCommands(bytes);
  return isUtf8(clean) ? clean.toString("utf8") : null;
}
