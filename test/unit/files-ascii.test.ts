/**
 * TYPE A: LF ↔ CRLF on the way out and in, including a CR that ends one chunk
 * and the LF that starts the next, and a CR at the very end of the stream.
 */
import assert from "node:assert/strict";
import { Readable, type Transform } from "node:stream";
import { describe, test } from "node:test";
import fc from "fast-check";
import { fromNetworkAscii, toNetworkAscii } from "../../src/ftp/ascii.js";

async function through(transform: Transform, chunks: readonly string[]): Promise<string> {
  const out: Buffer[] = [];
  const source = Readable.from(chunks.map((chunk) => Buffer.from(chunk, "latin1")));
  for await (const chunk of source.pipe(transform)) out.push(chunk as Buffer);
  return Buffer.concat(out).toString("latin1");
}

describe("toNetworkAscii (sending): LF → CRLF", () => {
  const table: ReadonlyArray<readonly [string[], string]> = [
    [["a\nb\n"], "a\r\nb\r\n"],
    [["a\r\nb"], "a\r\nb"],
    [["\n\n"], "\r\n\r\n"],
    [["a\r", "\nb"], "a\r\nb"], // CR at a chunk's end: the LF after it is not doubled
    [["a", "\n", "b"], "a\r\nb"],
    [["a\rb"], "a\rb"], // a lone CR stays
    [[""], ""],
    [["\u00e9\n"], "\u00e9\r\n"],
  ];
  for (const [chunks, expected] of table) {
    test(`${JSON.stringify(chunks)} → ${JSON.stringify(expected)}`, async () => {
      assert.equal(await through(toNetworkAscii(), chunks), expected);
    });
  }
});

describe("fromNetworkAscii (receiving): CRLF → LF", () => {
  const table: ReadonlyArray<readonly [string[], string]> = [
    [["a\r\nb\r\n"], "a\nb\n"],
    [["a\r", "\nb"], "a\nb"], // CR at a chunk's end waits for the next byte
    [["a\r", "b"], "a\rb"], // ...and is kept when no LF follows
    [["a\r", "\r\n"], "a\r\n"],
    [["a\r\r\nb"], "a\r\nb"],
    [["a\nb"], "a\nb"], // a bare LF stays
    [["end\r"], "end\r"], // a CR at the very end is flushed
    [["\r", "\r", "\n"], "\r\n"],
    [[""], ""],
  ];
  for (const [chunks, expected] of table) {
    test(`${JSON.stringify(chunks)} → ${JSON.stringify(expected)}`, async () => {
      assert.equal(await through(fromNetworkAscii(), chunks), expected);
    });
  }
});

describe("round trips (fast-check)", () => {
  const text = fc.array(fc.constantFrom("a", "b", "\n", "\r", "\r\n", "é", " "), { maxLength: 60 }).map((parts) => parts.join(""));
  /** Any way of cutting a string into chunks. */
  const chunked = text.chain((whole) =>
    fc.array(fc.integer({ min: 0, max: whole.length }), { maxLength: 6 }).map((cuts) => {
      const points = [...new Set([0, ...cuts.sort((a, b) => a - b), whole.length])];
      return { whole, chunks: points.slice(1).map((end, i) => whole.slice(points[i], end)) };
    }),
  );

  test("the chunking never changes the result", async () => {
    await fc.assert(
      fc.asyncProperty(chunked, async ({ whole, chunks }) => {
        assert.equal(await through(toNetworkAscii(), chunks), await through(toNetworkAscii(), [whole]));
        assert.equal(await through(fromNetworkAscii(), chunks), await through(fromNetworkAscii(), [whole]));
      }),
      { numRuns: 300 },
    );
  });

  test("a text without CR comes back unchanged after sending and receiving", async () => {
    await fc.assert(
      fc.asyncProperty(chunked.filter(({ whole }) => !whole.includes("\r")), async ({ chunks, whole }) => {
        const sent = await through(toNetworkAscii(), chunks);
        assert.equal(sent.split("\n").length, whole.split("\n").length);
        assert.equal(await through(fromNetworkAscii(), [sent]), whole);
      }),
      { numRuns: 300 },
    );
  });
});
