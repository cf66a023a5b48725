import type { Prng } from "./prng.js";

/** Bytes and short strings that break parsers: line ends, NUL, 0xFF, separators, path climbing. */
const INTERESTING: readonly Buffer[] = ["\r", "\n", "\r\n", "\0", "\xff", " ", ":", "@", "#", "/", "..", "../", ";", "=", ",", "\\", "%", "*", "!"].map((s) =>
  Buffer.from(s, "latin1"),
);

/** Numbers at the edges: sign changes, byte and word limits. */
const INTERESTING_NUMBERS: readonly string[] = ["0", "-1", "1", "255", "256", "65535", "65536", "2147483647", "-2147483648", "4294967296", "9007199254740993", "1e308", "NaN", "0x10"];

export interface MutationContext {
  readonly prng: Prng;
  /** The target's tokens (command names, keys…), inserted or written over bytes. */
  readonly dictionary: readonly Buffer[];
  /** Another corpus entry, for splicing. */
  readonly other: () => Buffer;
  readonly maxLength: number;
}

type Mutator = (data: Buffer, context: MutationContext) => Buffer;

function insert(data: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([data.subarray(0, at), piece, data.subarray(at)]);
}

function overwrite(data: Buffer, at: number, piece: Buffer): Buffer {
  const out = Buffer.from(data);
  piece.copy(out, at, 0, Math.min(piece.length, out.length - at));
  return out;
}

const mutators: readonly Mutator[] = [
  // Bit flip.
  (data, { prng }) => {
    if (data.length === 0) return Buffer.from([prng.below(256)]);
    const out = Buffer.from(data);
    const at = prng.below(out.length);
    out[at] = out[at]! ^ (1 << prng.below(8));
    return out;
  },
  // Random byte.
  (data, { prng }) => {
    if (data.length === 0) return Buffer.from([prng.below(256)]);
    const out = Buffer.from(data);
    out[prng.below(out.length)] = prng.below(256);
    return out;
  },
  // Small arithmetic on a byte (turns 'a' into 'b', '0' into '9'…).
  (data, { prng }) => {
    if (data.length === 0) return data;
    const out = Buffer.from(data);
    const at = prng.below(out.length);
    out[at] = (out[at]! + prng.below(35) - 17) & 0xff;
    return out;
  },
  // Insert random bytes.
  (data, { prng }) => {
    const piece = Buffer.alloc(1 + prng.below(8));
    for (let i = 0; i < piece.length; i++) piece[i] = prng.below(256);
    return insert(data, prng.below(data.length + 1), piece);
  },
  // Delete a range.
  (data, { prng }) => {
    if (data.length < 2) return data;
    const at = prng.below(data.length);
    const length = 1 + prng.below(Math.min(data.length - at, 32));
    return Buffer.concat([data.subarray(0, at), data.subarray(at + length)]);
  },
  // Duplicate a range (repeated parameters, tags, lines).
  (data, { prng }) => {
    if (data.length === 0) return data;
    const at = prng.below(data.length);
    const length = 1 + prng.below(Math.min(data.length - at, 64));
    const piece = data.subarray(at, at + length);
    const times = 1 + prng.below(prng.chance(8) ? 64 : 4);
    return insert(data, prng.below(data.length + 1), Buffer.concat(Array.from({ length: times }, () => piece)));
  },
  // Copy a range over another place.
  (data, { prng }) => {
    if (data.length < 2) return data;
    const from = prng.below(data.length);
    const piece = data.subarray(from, from + 1 + prng.below(Math.min(data.length - from, 32)));
    return overwrite(data, prng.below(data.length), piece);
  },
  // Insert an interesting byte or string.
  (data, { prng }) => insert(data, prng.below(data.length + 1), prng.pick(INTERESTING)),
  // Write an interesting byte over one.
  (data, { prng }) => (data.length === 0 ? data : overwrite(data, prng.below(data.length), prng.pick(INTERESTING))),
  // Replace a run of digits by an edge number (or insert one).
  (data, { prng }) => {
    const text = data.toString("latin1");
    const runs = [...text.matchAll(/-?\d+/g)];
    const number = Buffer.from(prng.pick(INTERESTING_NUMBERS), "latin1");
    if (runs.length === 0) return insert(data, prng.below(data.length + 1), number);
    const run = prng.pick(runs);
    return Buffer.concat([data.subarray(0, run.index), number, data.subarray(run.index + run[0].length)]);
  },
  // Insert a dictionary token.
  (data, { prng, dictionary }) => (dictionary.length === 0 ? data : insert(data, prng.below(data.length + 1), prng.pick(dictionary))),
  // Write a dictionary token over bytes.
  (data, { prng, dictionary }) => (dictionary.length === 0 || data.length === 0 ? data : overwrite(data, prng.below(data.length), prng.pick(dictionary))),
  // Splice: the head of this entry and the tail of another.
  (data, { prng, other }) => {
    const second = other();
    return Buffer.concat([data.subarray(0, prng.below(data.length + 1)), second.subarray(prng.below(second.length + 1))]);
  },
  // Insert a whole piece of another entry.
  (data, { prng, other }) => {
    const second = other();
    if (second.length === 0) return data;
    const from = prng.below(second.length);
    return insert(data, prng.below(data.length + 1), second.subarray(from, from + 1 + prng.below(second.length - from)));
  },
  // Swap case of a letter (commands and keys are often case-insensitive, or must not be).
  (data, { prng }) => {
    if (data.length === 0) return data;
    const out = Buffer.from(data);
    const at = prng.below(out.length);
    const c = out[at]!;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) out[at] = c ^ 0x20;
    return out;
  },
];

/** One to several stacked mutations of `data`, cut to the target's length limit. */
export function mutate(data: Buffer, context: MutationContext): Buffer {
  let out = data;
  const rounds = 1 + context.prng.below(context.prng.chance(4) ? 8 : 3);
  for (let i = 0; i < rounds; i++) out = context.prng.pick(mutators)(out, context);
  return out.length > context.maxLength ? out.subarray(0, context.maxLength) : out;
}
