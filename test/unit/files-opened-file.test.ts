/**
 * OpenedFile.sendTo: the bytes from an offset, in order and complete, through two reused
 * buffers, whatever the pace of the socket; a socket that fails ends it with the error.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { OpenedFile } from "../../src/core/files/opened-file.js";

let dir: string;
let file: string;
const content = randomBytes(2.5 * 1024 * 1024 + 123);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cmy-opened-"));
  file = join(dir, "f.bin");
  await writeFile(file, content);
});
after(() => rm(dir, { recursive: true, force: true }));

/** A socket stand-in that copies what it is given (the buffer is reused after the callback) and takes `delayMs` per write. */
function collector(delayMs: number, failAfter = Infinity): { sink: Writable; received: () => Buffer } {
  const parts: Buffer[] = [];
  let writes = 0;
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      if (++writes > failAfter) return callback(new Error("connection reset"));
      parts.push(Buffer.from(chunk));
      setTimeout(callback, delayMs);
    },
  });
  return { sink, received: () => Buffer.concat(parts) };
}

async function opened(start: number): Promise<OpenedFile> {
  const handle = await open(file, "r");
  return new OpenedFile(handle, content.length, start, content.length - start);
}

for (const [start, delayMs] of [
  [0, 0],
  [12_345, 0],
  [1024 * 1024, 5],
  [content.length - 10, 0],
] as const) {
  test(`from byte ${start}, a socket taking ${delayMs} ms per write: every byte, in order`, async () => {
    const f = await opened(start);
    const { sink, received } = collector(delayMs);
    let counted = 0;
    await f.sendTo(sink, (bytes) => (counted += bytes));
    await f.close();
    assert.equal(counted, content.length - start);
    assert.ok(received().equals(content.subarray(start)));
  });
}

test("a socket that fails midway ends the sending with its error", async () => {
  const f = await opened(0);
  const { sink } = collector(0, 1);
  sink.on("error", () => {});
  await assert.rejects(f.sendTo(sink, () => {}), /connection reset/);
  await f.close();
  // The buffers went back to be reused: the next file is sent whole.
  const g = await opened(0);
  const { sink: next, received } = collector(0);
  await g.sendTo(next, () => {});
  await g.close();
  assert.ok(received().equals(content));
});
