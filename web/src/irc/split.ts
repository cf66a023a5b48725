/**
 * Cutting what the user typed into what IRC carries: a line from a client is at most
 * 512 bytes (CRLF included), so long text goes over several lines — glued back with
 * `draft/multiline-concat` inside a multiline batch, or as separate messages without it.
 */

import { splitUtf8, utf8Length } from "../../../src/irc/utf8.js";

export { utf8Length };

export const MAX_LINE_BYTES = 512;

/** Text bytes that fit `COMMAND target :text\r\n` (client lines carry no source). */
export function textRoom(command: string, target: string): number {
  return Math.max(16, MAX_LINE_BYTES - (command.length + utf8Length(target) + 5));
}

/** Pieces of at most `room` bytes whose concatenation is `text`: the server's own cut. */
export const splitByBytes = splitUtf8;

export interface MultilineLimits {
  readonly maxBytes: number;
  readonly maxLines: number;
}

/** `draft/multiline=max-bytes=4096,max-lines=100` → the limits (defaults where a key is missing). */
export function parseMultilineValue(value: string): MultilineLimits {
  const pairs = new Map(value.split(",").map((item) => item.split("=", 2) as [string, string | undefined]));
  const number = (key: string, fallback: number): number => {
    const parsed = Number(pairs.get(key));
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  return { maxBytes: number("max-bytes", 4096), maxLines: number("max-lines", 100) };
}

/** One line of a multiline batch: `concat` lines continue the line before them. */
export interface BatchLine {
  readonly text: string;
  readonly concat: boolean;
}

/**
 * A text with newlines as the lines of one or more multiline batches, each within the
 * server's limits (max-bytes counts the UTF-8 bytes of the lines plus one per line
 * break, as the spec does; max-lines the lines).
 */
export function multilineBatches(text: string, room: number, limits: MultilineLimits): BatchLine[][] {
  const lines: BatchLine[] = [];
  for (const line of text.split("\n")) {
    const pieces = splitByBytes(line, room);
    pieces.forEach((piece, i) => lines.push({ text: piece, concat: i > 0 }));
  }
  const batches: BatchLine[][] = [];
  let current: BatchLine[] = [];
  let bytes = 0;
  for (const line of lines) {
    // A line that is not glued to the one before brings its line break.
    const size = utf8Length(line.text) + (current.length > 0 && !line.concat ? 1 : 0);
    if (current.length > 0 && (current.length >= limits.maxLines || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    // A batch never starts with a concat line: there is nothing before it to glue to.
    const starts = current.length === 0;
    current.push(starts ? { text: line.text, concat: false } : line);
    bytes += starts ? utf8Length(line.text) : size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Without multiline: each non-empty line its own message, long ones cut into several. */
export function separateMessages(text: string, room: number): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => splitByBytes(line, room));
}

/**
 * A comma-separated list argument (JOIN's channels, MONITOR's nicks) cut into lines that
 * each fit `COMMAND <before…> <list>\r\n` in MAX_LINE_BYTES (UTF-8 bytes) and hold at most
 * `maxItems` names (the server's TARGMAX). A name too long for any line goes alone.
 */
export function listLines(command: string, before: readonly string[], items: readonly string[], maxItems = Infinity): string[] {
  // Space before each parameter, a ':' the formatter may put before the last one, CRLF.
  const fixed = utf8Length(command) + before.reduce((sum, param) => sum + 1 + utf8Length(param), 0) + 1 + 1 + 2;
  const room = MAX_LINE_BYTES - fixed;
  const lines: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = utf8Length(item) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (bytes + size > room || current.length >= maxItems)) {
      lines.push(current.join(","));
      current = [];
      bytes = 0;
    }
    bytes += utf8Length(item) + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) lines.push(current.join(","));
  return lines;
}
