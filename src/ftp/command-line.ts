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
