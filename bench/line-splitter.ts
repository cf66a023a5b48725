/**
 * The cost of framing a socket chunk into lines (src/net/line-splitter.ts), per chunk, for
 * the shapes a server meets: one chat line per read (a client at chat pace), 64 KiB of
 * CRLF or LF-only lines (a paste, a bouncer's burst) and 64 KiB of one-byte lines ended
 * by a lone CR (hostile input: each line is one terminator search). Compare builds with
 * `--dist DIR` (a build in a worktree: `npx tsc -p tsconfig.build.json` there). Pin it to
 * a core (`taskset -c 1`); the figures are µs per `push` of one chunk, the median of
 * `--repeat` timed batches.
 *
 *   taskset -c 1 node --import tsx bench/line-splitter.ts [--dist dist] [--repeat 7]
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./lib/servers.js";
import { median } from "./lib/median.js";
import { positiveInt } from "./lib/positive-int.js";

const { values } = parseArgs({
  options: {
    dist: { type: "string", default: join(REPO_ROOT, "dist") },
    repeat: { type: "string", default: "7" },
  },
});
const repeat = positiveInt("repeat", values.repeat);

interface Splitter {
  push(chunk: Buffer): void;
}
type SplitterClass = new (maxBytes: number, sink: { line(bytes: Buffer): void; overflow(): void }) => Splitter;
const modulePath = pathToFileURL(join(resolve(values.dist), "net", "line-splitter.js")).href;
const { LineSplitter } = (await import(modulePath)) as { LineSplitter: SplitterClass };

let lines = 0;
const sink = { line: (): void => void lines++, overflow: (): void => {} };

const CHUNK = 64 * 1024;
const fill = (line: string): Buffer => Buffer.from(line.repeat(Math.floor(CHUNK / line.length)));
const shapes: ReadonlyArray<readonly [string, Buffer, number]> = [
  ["one chat line (100 B, CRLF)", Buffer.from(`PRIVMSG #room0 :${"x".repeat(82)}\r\n`), 1],
  ["64 KiB of 100 B lines, CRLF", fill(`${"x".repeat(98)}\r\n`), Math.floor(CHUNK / 100)],
  ["64 KiB of 100 B lines, LF only", fill(`${"x".repeat(99)}\n`), Math.floor(CHUNK / 100)],
  ["64 KiB of 1 B lines, lone CR", fill("a\r"), CHUNK / 2],
];

process.stdout.write(`line splitter from ${values.dist}, µs per chunk (median of ${repeat} batches)\n| chunk | µs |\n|---|---:|\n`);
for (const [what, chunk, expectedLines] of shapes) {
  const splitter = new LineSplitter(8191, sink);
  // A build that splits wrongly is not measured: one push must give every line of the chunk.
  lines = 0;
  splitter.push(chunk);
  if (lines !== expectedLines) throw new Error(`${what}: ${lines} lines from one push, not ${expectedLines}`);
  // Batches of at least 100 ms (doubling the pushes until one takes that long), so a
  // garbage collection or a timer tick is a small part of each.
  let pushes = 1;
  const timeBatch = (): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < pushes; i++) splitter.push(chunk);
    return Number(process.hrtime.bigint() - started) / 1000;
  };
  while (timeBatch() < 100_000) pushes *= 2;
  const batches = Array.from({ length: repeat }, () => timeBatch() / pushes);
  process.stdout.write(`| ${what} | ${median(batches).toFixed(2)} |\n`);
}
