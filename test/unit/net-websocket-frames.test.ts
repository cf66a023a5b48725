import { test } from "node:test";
import assert from "node:assert/strict";
import { frameLines, OPCODE_BINARY, OPCODE_TEXT } from "../../src/net/websocket-frames.js";

/** Reads server frames (unmasked) back: [final, opcode, payload] per frame. */
function readFrames(bytes: Buffer): Array<{ fin: boolean; opcode: number; payload: string }> {
  const frames: Array<{ fin: boolean; opcode: number; payload: string }> = [];
  for (let at = 0; at < bytes.length; ) {
    const fin = (bytes[at]! & 0x80) !== 0;
    const opcode = bytes[at]! & 0x0f;
    assert.equal(bytes[at + 1]! & 0x80, 0, "a server frame is never masked");
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    frames.push({ fin, opcode, payload: bytes.subarray(at + header, at + header + length).toString("utf8") });
    at += header + length;
  }
  return frames;
}

test("one line: one final text frame without the CRLF", () => {
  assert.deepEqual(readFrames(frameLines(Buffer.from(":a PRIVMSG #x :hi\r\n"), OPCODE_TEXT)), [{ fin: true, opcode: 1, payload: ":a PRIVMSG #x :hi" }]);
});

test("several lines: one frame each, in order; binary opcode when asked; LF-only endings too", () => {
  const frames = readFrames(frameLines(Buffer.from("one\r\ntwo\nthree\r\n"), OPCODE_BINARY));
  assert.deepEqual(frames, [
    { fin: true, opcode: 2, payload: "one" },
    { fin: true, opcode: 2, payload: "two" },
    { fin: true, opcode: 2, payload: "three" },
  ]);
});

test("lengths of 125, 126 and 70,000 bytes use the 7-bit, 16-bit and 64-bit length forms", () => {
  for (const size of [125, 126, 65_535, 65_536, 70_000]) {
    const text = "x".repeat(size);
    const bytes = frameLines(Buffer.from(`${text}\r\n${text}\r\n`), OPCODE_TEXT);
    const frames = readFrames(bytes);
    assert.equal(frames.length, 2, `${size}`);
    assert.ok(frames.every((frame) => frame.payload === text), `${size}`);
  }
});

test("text frames never carry invalid UTF-8: bad bytes become U+FFFD; binary frames keep them", () => {
  const bad = Buffer.concat([Buffer.from("bad "), Buffer.from([0xff, 0xfe]), Buffer.from("\r\n")]);
  assert.equal(readFrames(frameLines(bad, OPCODE_TEXT))[0]!.payload, "bad \ufffd\ufffd");
  const binary = frameLines(bad, OPCODE_BINARY);
  assert.deepEqual([...binary.subarray(2 + 4)], [0xff, 0xfe]);
});
