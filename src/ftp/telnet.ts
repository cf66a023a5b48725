/** Telnet IAC: starts every Telnet command (RFC 854). Never part of UTF-8. */
const IAC = 0xff;
/** The lowest Telnet command byte (SE); bytes below it after an IAC are not commands. */
const FIRST_COMMAND = 0xf0;
/** WILL, WONT, DO and DONT carry one option byte after them. */
const FIRST_OPTION_COMMAND = 0xfb;
const LAST_OPTION_COMMAND = 0xfe;

/**
 * Drops Telnet commands (RFC 854) from one command line. A client aborts a transfer
 * with IAC IP, then the Synch: IAC DM sent as TCP urgent data, then ABOR (RFC 959
 * §4.1.3). The urgent byte leaves the ordinary byte stream (Node cannot set
 * SO_OOBINLINE), so what arrives is a damaged sequence:
 * - IAC IP IAC, then the verb, when the DM was the urgent byte (the RFC's way): an
 *   IAC followed by a byte that is no Telnet command stands alone, and the byte
 *   after it (the verb's first letter) is kept;
 * - IP IAC DM, then the verb, when only the first IAC was (lftp sends it so): the
 *   Telnet bytes left before the verb are dropped (a verb is ASCII letters);
 * - Python's ftplib sends all of "ABOR\r\n" as urgent data and loses the LF: the
 *   line splitter already ends a line at a lone CR.
 * IAC (0xFF) never occurs in UTF-8, so nothing of a name can be lost.
 */
export function withoutTelnetCommands(bytes: Buffer): Buffer {
  if (!bytes.includes(IAC) && !startsWithTelnetRemnant(bytes)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== IAC) {
      out.push(byte);
      continue;
    }
    const command = bytes[i + 1];
    if (command === undefined || command < FIRST_COMMAND) continue;
    i += command >= FIRST_OPTION_COMMAND && command <= LAST_OPTION_COMMAND ? 2 : 1;
  }
  let start = 0;
  while (start < out.length && out[start]! >= FIRST_COMMAND) start++;
  return Buffer.from(out.slice(start));
}

/** A Telnet command byte at the start of a line, left there after its IAC went as urgent data. */
function startsWithTelnetRemnant(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0]! >= FIRST_COMMAND;
}
