/**
 * Small helpers shared by the security tests (not a test file itself: the runner
 * only picks up `*.test.ts`). Everything here observes the server the way a
 * client does: through the bytes on a real socket.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { RawClient } from "../support/raw-client.js";

export const SERVER = "cmymessage.local";

/** The server runs in this very process, so its memory is ours to read. */
export function rss(): number {
  return process.memoryUsage().rss;
}

export const MB = 1024 * 1024;

let collect: (() => void) | undefined;

/**
 * RSS after full garbage collections: what the process really retains. Peak RSS
 * mostly measures when V8 chose to collect garbage, not what the server keeps.
 */
export function settledRss(): number {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as () => void;
    }
  }
  collect();
  collect();
  return rss();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after `ms` with `what` in the message; never leaves a timer behind. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves true when the client's socket closes within `ms`, false otherwise. */
export async function closesWithin(client: RawClient, ms: number): Promise<boolean> {
  if (client.isClosed) return true;
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([client.closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return result;
}

let tokens = 0;

/**
 * Round trip: once the PONG for a fresh token arrives, the server has handled every
 * line this client sent before it (commands run in order, one at a time).
 */
export async function sync(client: RawClient, timeoutMs = 5000): Promise<void> {
  const token = `sync${++tokens}x${Date.now()}`;
  client.send(`PING ${token}`);
  await client.waitFor((line) => line.startsWith(`:${SERVER} PONG `) && line.endsWith(token), timeoutMs);
}

/** Everything the socket ever received, as one string (CR, LF and NUL kept as they came). */
export interface Tap {
  text(): string;
  /** Each received CRLF-terminated line with the time its chunk arrived. */
  readonly timed: Array<{ at: number; line: string }>;
}

export function tap(client: RawClient): Tap {
  let all = "";
  let buffer = "";
  const timed: Array<{ at: number; line: string }> = [];
  client.socket.on("data", (chunk: string | Buffer) => {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    all += text;
    buffer += text;
    const at = performance.now();
    let index: number;
    while ((index = buffer.indexOf("\r\n")) !== -1) {
      timed.push({ at, line: buffer.slice(0, index) });
      buffer = buffer.slice(index + 2);
    }
  });
  return { text: () => all, timed };
}

/**
 * The heart of the injection checks: the stream must be a sequence of CRLF-ended
 * lines in which no CR, LF or NUL appears anywhere else.
 */
export function assertCleanStream(stream: string, who: string): void {
  assert.ok(stream === "" || stream.endsWith("\r\n"), `${who}: stream does not end with CRLF: ${JSON.stringify(stream.slice(-80))}`);
  const lines = stream.split("\r\n").slice(0, -1);
  for (const line of lines) {
    assert.ok(!/[\r\n\0]/.test(line), `${who} received a line with a bare CR, LF or NUL: ${JSON.stringify(line)}`);
  }
}

/** Answers every PING the server sends, as a live client would. */
export function autoPong(client: RawClient): void {
  let buffer = "";
  client.socket.on("data", (chunk: string | Buffer) => {
    buffer += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let index: number;
    while ((index = buffer.indexOf("\r\n")) !== -1) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      if (line.startsWith("PING ") || line.startsWith(`:${SERVER} PING `)) {
        const token = line.slice(line.indexOf("PING ") + 5);
        if (!client.socket.destroyed) client.send(`PONG ${token}`);
      }
    }
  });
}

/**
 * Opens a connection and finds out whether the server kept it: a kept connection
 * answers PING, a refused one gets `ERROR` and is closed.
 */
export async function probe(port: number, localAddress?: string): Promise<{ client: RawClient; accepted: boolean; line: string }> {
  const client = await RawClient.connect(port, "127.0.0.1", localAddress ? { localAddress } : {});
  client.send("PING probe");
  const line = await client.waitFor((l) => l.startsWith("ERROR ") || / PONG /.test(l), 5000);
  return { client, accepted: !line.startsWith("ERROR "), line };
}

/** Lines (still unconsumed by waitFor) that match. */
export function linesMatching(client: RawClient, pattern: RegExp): string[] {
  return client.lines.filter((line) => pattern.test(line));
}

/** Closes clients that are still open; safe to call with already-closed ones. */
export function closeAll(...clients: Array<RawClient | undefined>): void {
  for (const client of clients) if (client && !client.isClosed) client.close();
}

export interface ParsedLine {
  readonly tags: Map<string, string>;
  /** The raw tag section without '@' and the space after it ("" when none). */
  readonly rawTags: string;
  readonly source: string | null;
  readonly command: string;
  readonly params: string[];
}

/** A small, strict client-side parser: how a typical client would read a server line. */
export function parseLine(line: string): ParsedLine {
  let rest = line;
  let rawTags = "";
  const tags = new Map<string, string>();
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    rawTags = rest.slice(1, space);
    rest = rest.slice(space + 1);
    for (const item of rawTags.split(";")) {
      const eq = item.indexOf("=");
      tags.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? "" : item.slice(eq + 1));
    }
  }
  let source: string | null = null;
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    source = rest.slice(1, space);
    rest = rest.slice(space + 1);
  }
  const trailingAt = rest.indexOf(" :");
  const head = trailingAt === -1 ? rest : rest.slice(0, trailingAt);
  const words = head.split(" ").filter((w) => w !== "");
  const command = words.shift() ?? "";
  const params = trailingAt === -1 ? words : [...words, rest.slice(trailingAt + 2)];
  return { tags, rawTags, source, command, params };
}

/**
 * Connects, taps the raw stream from the first byte, registers (with caps if given)
 * and waits for the end of the welcome burst and the default channel's NAMES.
 */
export async function registerTapped(
  port: number,
  nick: string,
  caps: readonly string[] = [],
  options: { realname?: string; localAddress?: string; /** Skip the closing PING round trip (it counts against flood control). */ noSync?: boolean } = {},
): Promise<{ client: RawClient; tap: Tap }> {
  const client = await RawClient.connect(port, "127.0.0.1", options.localAddress ? { localAddress: options.localAddress } : {});
  const t = tap(client);
  if (caps.length > 0) client.send(`CAP REQ :${caps.join(" ")}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${options.realname ?? `${nick} test`}`);
  if (caps.length > 0) client.send("CAP END");
  await client.waitFor(/ (376|422) /);
  if (options.noSync) await client.waitFor(/ 366 /);
  else await sync(client);
  return { client, tap: t };
}

/** Lines of a tap's stream from character offset `from` on (complete lines only). */
export function linesSince(t: Tap, from: number): string[] {
  const text = t.text().slice(from);
  return text.split("\r\n").slice(0, -1);
}

/**
 * Stops a test server but never waits longer than `ms` (a hanging stop must fail a
 * test, not the whole run); removes its data directory either way. True when stopped.
 */
export async function stopBounded(server: { stop(): Promise<void>; dataDir: string }, ms = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    server.stop().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!stopped) await rm(server.dataDir, { recursive: true, force: true });
  return stopped;
}

/** Open file descriptors of this process (the server's sockets included). Linux only. */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}
