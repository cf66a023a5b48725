/** Telnet IAC: starts every Telnet command (RFC 854). Never part of UTF-8. */
const IAC = 0xff;
/** The lowest Telnet command byte (SE); bytes below it after an IAC are not commands. */
const FIRST_COMMAND = 0xf0;
/** WILL, WONT, DO and DONT carry one option byte after them. */
const FIRST_OPTION_COMMAND = 0xfb;
const LAST_OPTION_COMMAND = 0xfe;

/**
 * Drops Telnet commands (RFC 854) from one command line, and turns IAC IAC back into
 * the one data byte 0xFF it stands for. A client aborts a transfer with IAC IP, then
 * the Synch: IAC DM sent as TCP urgent data, then ABOR (RFC 959 §4.1.3). The urgent
 * byte leaves the ordinary byte stream (Node cannot set SO_OOBINLINE), so what
 * arrives is a damaged sequence:
 * - IAC IP IAC, then the verb, when the DM was the urgent byte (the RFC's way): an
 *   IAC followed by a byte that is no Telnet command stands alone, and the byte
 *   after it (the verb's first letter) is kept;
 * - IP IAC DM, then the verb, when only the first IAC was (lftp sends it so): the
 *   Telnet bytes left before the verb are dropped (a verb is ASCII letters);
 * - Python's ftplib sends all of "ABOR\r\n" as urgent data and loses the LF: the
 *   line splitter already ends a line at a lone CR.
 * An escaped 0xFF is data even at the start of the line: dropping it as a remnant
 * would run what follows it as the verb. 0xFF is never UTF-8, so the session then
 * refuses the line (see decodeCommandLine).
 */
export function withoutTelnetCommands(bytes: Buffer): Buffer {
  if (!bytes.includes(IAC) && !startsWithTelnetRemnant(bytes)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === IAC) {
      i += telnetCommandLength(bytes, i, out) - 1;
      continue;
    }
    // Before any data, a command byte is the remnant of a sequence whose IAC went urgent.
    if (out.length === 0 && byte >= FIRST_COMMAND) continue;
    out.push(byte);
  }
  return Buffer.from(out);
}

/** The bytes taken by the Telnet sequence at `at` (an IAC); an escaped IAC adds its data byte to `out`. */
function telnetCommandLength(bytes: Buffer, at: number, out: number[]): number {
  const command = bytes[at + 1];
  if (command === IAC) {
    out.push(IAC);
    return 2;
  }
  if (command === undefined || command < FIRST_COMMAND) return 1;
  return command >= FIRST_OPTION_COMMAND && command <= LAST_OPTION_COMMAND ? 3 : 2;
}

/** A Telnet command byte at the start of a line, left there after its IAC went as urgent data. */
function startsWithTelnetRemnant(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0]! >= FIRST_COMMAND;
}
