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
 *   IAC followed by a byte that is no Telnet command, with only Telnet commands
 *   before it on the line, stands alone and goes, and the byte after it (the
 *   verb's first letter) is kept;
 * - IP IAC DM, then the verb, when only the first IAC was (lftp sends it so): the
 *   Telnet bytes left before the verb are dropped (a verb is ASCII letters);
 * - Python's ftplib sends all of "ABOR\r\n" as urgent data and loses the LF: the
 *   line splitter already ends a line at a lone CR.
 * An escaped 0xFF is data even at the start of the line: dropping it as a remnant
 * would run what follows it as the verb. So is a lone IAC anywhere else (after data,
 * at the end of the line, or leading a line with no Telnet command before it): it is
 * kept with the byte after it, never dropped, or `MKD L\xffon` would make `Lon`.
 * 0xFF is never UTF-8, so the session then refuses the line (see decodeCommandLine).
 */
export function withoutTelnetCommands(bytes: Buffer): Buffer {
  if (!bytes.includes(IAC) && !startsWithTelnetRemnant(bytes)) return bytes;
  const out: number[] = [];
  /** Telnet commands (or their remnants) were dropped before any data: the line began with an abort sequence. */
  let telnetFirst = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === IAC) {
      const length = telnetCommandLength(bytes, i, out, telnetFirst && out.length === 0);
      if (length > 1 && out.length === 0) telnetFirst = true;
      i += length - 1;
      continue;
    }
    // Before any data, a command byte is the remnant of a sequence whose IAC went urgent.
    if (out.length === 0 && byte >= FIRST_COMMAND) {
      telnetFirst = true;
      continue;
    }
    out.push(byte);
  }
  return Buffer.from(out);
}

/**
 * The bytes taken by the Telnet sequence at `at` (an IAC); an escaped IAC adds its data byte
 * to `out`. A lone IAC (no Telnet command after it) is data, added to `out` (the byte after it
 * follows as data too), unless `remnant`: it ends an abort sequence whose DM went urgent.
 */
function telnetCommandLength(bytes: Buffer, at: number, out: number[], remnant: boolean): number {
  const command = bytes[at + 1];
  if (command === IAC) {
    out.push(IAC);
    return 2;
  }
  if (command === undefined || command < FIRST_COMMAND) {
    if (!remnant) out.push(IAC);
    return 1;
  }
  return command >= FIRST_OPTION_COMMAND && command <= LAST_OPTION_COMMAND ? 3 : 2;
}

/** A Telnet command byte at the start of a line, left there after its IAC went as urgent data. */
function startsWithTelnetRemnant(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0]! >= FIRST_COMMAND;
}
