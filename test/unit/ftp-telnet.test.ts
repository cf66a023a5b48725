/**
 * Telnet on the FTP control connection (RFC 854, RFC 959 §4.1.3): commands dropped,
 * IAC IAC kept as the one data byte 0xFF it stands for, and what is left of the
 * abort sequences clients send once their urgent byte has left the stream.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withoutTelnetCommands } from "../../src/ftp/telnet.js";
import { decodeCommandLine } from "../../src/ftp/command-line.js";

const bytes = (...parts: ReadonlyArray<string | readonly number[]>): Buffer => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));

describe("withoutTelnetCommands", () => {
  const table: ReadonlyArray<readonly [string, Buffer, Buffer]> = [
    ["IAC IAC is one data byte 0xFF", bytes("MKD a", [0xff, 0xff], "b"), bytes("MKD a", [0xff], "b")],
    ["two escaped IACs are two bytes", bytes("X", [0xff, 0xff, 0xff, 0xff]), bytes("X", [0xff, 0xff])],
    ["an escaped IAC leading the line is data, not a remnant", bytes([0xff, 0xff], "NOOP"), bytes([0xff], "NOOP")],
    ["IAC IP IAC DM before the verb", bytes([0xff, 0xf4, 0xff, 0xf2], "ABOR"), bytes("ABOR")],
    ["IP IAC DM (the first IAC went urgent, as lftp sends it)", bytes([0xf4, 0xff, 0xf2], "ABOR"), bytes("ABOR")],
    ["IAC IP IAC (the DM went urgent): the lone IAC goes, the verb stays", bytes([0xff, 0xf4, 0xff], "ABOR"), bytes("ABOR")],
    ["an option command takes its option byte along", bytes("NO", [0xff, 0xfb, 0x01], "OP"), bytes("NOOP")],
    ["no IAC: unchanged", bytes("STOR caf\u00e9"), bytes("STOR caf\u00e9")],
  ];
  for (const [what, input, expected] of table) {
    test(what, () => assert.deepEqual(withoutTelnetCommands(input), expected));
  }
});

describe("decodeCommandLine", () => {
  test("UTF-8 (Telnet commands dropped) is the line's text", () => {
    assert.equal(decodeCommandLine(bytes([0xff, 0xf4, 0xff, 0xf2], "MKD caf\u00e9 \u{1f389}")), "MKD caf\u00e9 \u{1f389}");
  });

  test("bytes that are not UTF-8 are refused, not replaced with U+FFFD", () => {
    assert.equal(decodeCommandLine(bytes("STOR r", [0xe9], "sum", [0xe9], ".txt")), null);
    assert.equal(decodeCommandLine(bytes("MKD ", [0xc0, 0xae])), null); // overlong "."
    assert.equal(decodeCommandLine(bytes("MKD ", [0xed, 0xa0, 0x80])), null); // a lone surrogate
    assert.equal(decodeCommandLine(bytes("MKD a", [0xff, 0xff], "b")), null);
  });
});
