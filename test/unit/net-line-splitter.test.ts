import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter } from "../../src/net/line-splitter.js";

/** A sink that records what the splitter emits, copying each line (the splitter may hand out views). */
function recorder(maxBytes: number): { splitter: LineSplitter; lines: string[]; raw: Buffer[]; overflows: () => number } {
  const lines: string[] = [];
  const raw: Buffer[] = [];
  let overflows = 0;
  const splitter = new LineSplitter(maxBytes, {
    line(bytes) {
      raw.push(Buffer.from(bytes));
      lines.push(Buffer.from(bytes).toString("latin1"));
    },
    overflow() {
      overflows++;
    },
  });
  return { splitter, lines, raw, overflows: () => overflows };
}

const b = (text: string): Buffer => Buffer.from(text, "latin1");

test("CRLF, LF and a bare CR each end a line", () => {
  const { splitter, lines } = recorder(512);
  splitter.push(b("one\r\ntwo\nthree\rfour\r\n"));
  assert.deepEqual(lines, ["one", "two", "three", "four"]);
});

test("empty lines are ignored (CRLF CRLF, LF LF, CR CR, LF CR)", () => {
  const { splitter, lines, overflows } = recorder(512);
  splitter.push(b("\r\n\r\n\n\n\r\ra\n\rb\r\n\r\n"));
  assert.deepEqual(lines, ["a", "b"]);
  assert.equal(overflows(), 0);
});

test("a line without terminator is held until its terminator arrives", () => {
  const { splitter, lines } = recorder(512);
  splitter.push(b("PRIV"));
  splitter.push(b("MSG #a"));
  assert.deepEqual(lines, []);
  splitter.push(b(" :hi\r"));
  assert.deepEqual(lines, ["PRIVMSG #a :hi"]);
  splitter.push(b("\nNEXT"));
  assert.deepEqual(lines, ["PRIVMSG #a :hi"]);
  splitter.push(b("\n"));
  assert.deepEqual(lines, ["PRIVMSG #a :hi", "NEXT"]);
});

test("a CRLF split between two chunks gives one line and no empty line", () => {
  const { splitter, lines } = recorder(512);
  splitter.push(b("abc\r"));
  splitter.push(b("\ndef\r"));
  splitter.push(b("\n"));
  assert.deepEqual(lines, ["abc", "def"]);
});

test("emitted lines are unaffected by later pushes (pending data is copied)", () => {
  const emitted: Buffer[] = [];
  const splitter = new LineSplitter(512, { line: (bytes) => emitted.push(bytes), overflow: () => {} });
  const chunk = b("hello");
  splitter.push(chunk);
  chunk.fill(0x58); // the caller reuses its buffer
  splitter.push(b(" world\n"));
  assert.equal(Buffer.from(emitted[0]!).toString("latin1"), "hello world");
});

test("a stream fed one byte at a time gives the same lines", () => {
  const stream = "NICK a\r\nUSER a 0 * :A\nJOIN #x\rPRIVMSG #x :hi\r\n";
  const { splitter, lines } = recorder(512);
  for (const byte of b(stream)) splitter.push(Buffer.from([byte]));
  assert.deepEqual(lines, ["NICK a", "USER a 0 * :A", "JOIN #x", "PRIVMSG #x :hi"]);
});

test("a stream split at every byte position gives the same lines", () => {
  const stream = b("@a=b :src CMD x\r\nLINE two\nthree\r\r\nfour é\r\n");
  const expected = ["@a=b :src CMD x", "LINE two", "three", "four é"];
  for (let i = 0; i <= stream.length; i++) {
    const { splitter, raw } = recorder(512);
    splitter.push(stream.subarray(0, i));
    splitter.push(stream.subarray(i));
    assert.deepEqual(
      raw.map((line) => line.toString("latin1")),
      expected.map((line) => b(line).toString("latin1")),
      `split at ${i}`,
    );
  }
});

test("a line of exactly the limit is accepted, one byte more overflows", () => {
  const { splitter, lines, overflows } = recorder(10);
  splitter.push(b("0123456789\n"));
  assert.deepEqual(lines, ["0123456789"]);
  assert.equal(overflows(), 0);
  splitter.push(b("0123456789A\nok\n"));
  assert.deepEqual(lines, ["0123456789", "ok"]);
  assert.equal(overflows(), 1);
});

test("the limit counts bytes, not characters", () => {
  const { splitter, raw, overflows } = recorder(4);
  splitter.push(Buffer.from("éé\n", "utf8")); // 4 bytes
  splitter.push(Buffer.from("ééé\n", "utf8")); // 6 bytes
  assert.deepEqual(raw.map((line) => line.toString("utf8")), ["éé"]);
  assert.equal(overflows(), 1);
});

test("an overlong line in one chunk calls overflow once and the next line still arrives", () => {
  const { splitter, lines, overflows } = recorder(8);
  splitter.push(b(`${"x".repeat(50)}\r\nNEXT\r\n`));
  assert.equal(overflows(), 1);
  assert.deepEqual(lines, ["NEXT"]);
});

test("an overlong line spread over many chunks calls overflow once, is dropped up to its terminator, and the next line arrives", () => {
  const { splitter, lines, overflows } = recorder(8);
  splitter.push(b("good\n"));
  for (let i = 0; i < 20; i++) splitter.push(b("yyyyy"));
  assert.equal(overflows(), 1);
  splitter.push(b("tail-of-the-long-line\r"));
  splitter.push(b("\nafter\n"));
  assert.equal(overflows(), 1);
  assert.deepEqual(lines, ["good", "after"]);
});

test("after an overflow that ends on a bare CR the following line is kept", () => {
  const { splitter, lines, overflows } = recorder(4);
  splitter.push(b("aaaaaaaaaa"));
  splitter.push(b("aa\rnext\n"));
  assert.deepEqual(lines, ["next"]);
  assert.equal(overflows(), 1);
});

test("two overlong lines in a row are two overflows", () => {
  const { splitter, lines, overflows } = recorder(4);
  splitter.push(b("aaaaaaaa"));
  splitter.push(b("aa\nbbbbbbbb"));
  splitter.push(b("bb\nc\n"));
  assert.equal(overflows(), 2);
  assert.deepEqual(lines, ["c"]);
});

test("setLimit changes the limit for following lines", () => {
  const { splitter, lines, overflows } = recorder(4);
  splitter.push(b("abcdef\n"));
  assert.equal(overflows(), 1);
  splitter.setLimit(16);
  splitter.push(b("abcdef\n"));
  assert.deepEqual(lines, ["abcdef"]);
});

// ── properties ──────────────────────────────────────────────────────────

const terminator = fc.constantFrom("\r\n", "\n", "\r");
/** Line bytes without CR or LF. */
const lineBytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength: 1, maxLength }).map((bytes) => Buffer.from(bytes.map((x) => (x === 0x0a || x === 0x0d ? 0x41 : x))));

/** Cuts `stream` at the given (unsorted, possibly repeated) positions. */
function cut(stream: Buffer, positions: number[]): Buffer[] {
  const points = [...new Set(positions.map((p) => p % (stream.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    chunks.push(stream.subarray(last, point));
    last = point;
  }
  chunks.push(stream.subarray(last));
  return chunks;
}

test("property: lines within the limit arrive intact and in order, however the stream is chunked", () => {
  const entry = fc.record({ line: lineBytes(40), end: terminator, blanks: fc.array(terminator, { maxLength: 2 }) });
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }), (entries, positions) => {
      const stream = Buffer.concat(entries.flatMap(({ line, end, blanks }) => [line, b(end), ...blanks.map(b)]));
      const { splitter, raw, overflows } = recorder(40);
      for (const chunk of cut(stream, positions)) splitter.push(chunk);
      assert.deepEqual(raw, entries.map(({ line }) => line));
      assert.equal(overflows(), 0);
    }),
    { numRuns: 300 },
  );
});

test("property: each overlong line is one overflow and dropped; every other line still arrives", () => {
  const limit = 16;
  // Blank lines (bare terminators) after a line, as in the first property: also right after one that is dropped.
  const entry = fc.record({ line: fc.oneof(lineBytes(limit), lineBytes(60)), end: terminator, blanks: fc.array(terminator, { maxLength: 2 }) });
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 12 }), (entries, positions) => {
      const stream = Buffer.concat(entries.flatMap(({ line, end, blanks }) => [line, b(end), ...blanks.map(b)]));
      const { splitter, raw, overflows } = recorder(limit);
      for (const chunk of cut(stream, positions)) splitter.push(chunk);
      assert.deepEqual(
        raw,
        entries.filter(({ line }) => line.length <= limit).map(({ line }) => line),
      );
      assert.equal(overflows(), entries.filter(({ line }) => line.length > limit).length);
    }),
    { numRuns: 300 },
  );
});

test("property: no emitted line is empty, longer than the limit, or holds CR/LF", () => {
  const bytes = fc.uint8Array({ maxLength: 80 }).map((arr) => Buffer.from(arr.map((x) => (x % 5 === 0 ? 0x0a : x % 7 === 0 ? 0x0d : x))));
  fc.assert(
    fc.property(fc.array(bytes, { maxLength: 6 }), fc.integer({ min: 1, max: 24 }), (chunks, limit) => {
      const { splitter, raw } = recorder(limit);
      for (const chunk of chunks) splitter.push(chunk);
      for (const line of raw) {
        assert.ok(line.length > 0 && line.length <= limit);
        assert.ok(!line.includes(0x0a) && !line.includes(0x0d));
      }
    }),
  );
});

test("a chunk of lines ended by lone CRs (no LF in it) is searched once through, not once per line", (t) => {
  // Each line used to search the rest of the chunk for an LF: 64 KiB of one-byte lines held
  // the event loop ~12 ms. Counted, not timed: the searches one push makes.
  const lines = 10_000;
  const chunk = Buffer.from("a\r".repeat(lines));
  const { splitter, raw } = recorder(512);
  const indexOf = t.mock.method(Buffer.prototype, "indexOf");
  splitter.push(chunk);
  const searches = indexOf.mock.callCount();
  indexOf.mock.restore();
  assert.equal(raw.length, lines);
  assert.ok(searches <= lines + 2, `${searches} searches for ${lines} lines`);
});
