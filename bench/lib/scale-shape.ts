/**
 * The shape of the scale study's generated history (bench/scale-data.ts), in one
 * place so the generator and the benchmark (bench/scale.ts) agree on it: account and
 * channel names, the vocabulary and how often each word is used, how messages are
 * spread over conversations, lengths and a year of time. Everything comes from a
 * seeded generator, so the same options give the same database.
 *
 * - Accounts `user0` … `user<N-1>`, all with one password (SCALE_PASSWORD).
 * - Channels `#room0` … : message counts by Zipf's law (s = 1), so #room0 is the
 *   biggest (~13 % of the channel messages with 1,000 channels) and most are small.
 * - Direct conversations between pairs of accounts, also by Zipf's law: a few long
 *   ones, many with a handful of messages.
 * - Text: words drawn by Zipf's law (s = 1) from a vocabulary of common chat words
 *   followed by made-up words, 1–120 words per message (log-normal, median ~7), so
 *   a word of rank r is in about 9 / (r · 11) of the messages and searches for words
 *   of different ranks find from a few hundred to hundreds of thousands of matches.
 * - Times: spread evenly over `spanMs` ending at `endTime`, in id order (a server
 *   stores them in that order too); msgids as the server makes them (a random
 *   prefix, a counter), the prefix changing every 100,000 messages (a restart).
 */

/** The password of every generated account. */
export const SCALE_PASSWORD = "scale-bench-password-2026";

export const YEAR_MS = 365 * 24 * 3600 * 1000;

/** A small fast seeded generator (mulberry32): the same seed, the same data. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Draws index i with probability weights[i] / sum in O(1) (Vose's alias method). */
export class AliasTable {
  readonly #prob: Float64Array;
  readonly #alias: Uint32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]!;
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / sum;
    this.#prob = new Float64Array(n);
    this.#alias = new Uint32Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.#prob[s] = scaled[s]!;
      this.#alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.#prob[i] = 1;
  }

  get size(): number {
    return this.#prob.length;
  }

  draw(rng: Rng): number {
    const i = rng.below(this.#prob.length);
    return rng.next() < this.#prob[i]! ? i : this.#alias[i]!;
  }
}

/** Zipf weights 1/(k+1)^s for k in [0, n). */
export function zipfWeights(n: number, s = 1): Float64Array {
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = 1 / Math.pow(k + 1, s);
  return w;
}

/** The most frequent words of chat, most frequent first: the head of the vocabulary. */
const COMMON_WORDS = (
  "i you the to a it and is that of in for me my on have this be so but not just what do are was with we no like yes can " +
  "lol ok it's get if at all know think there they your now about out how up good one will im he from or don't time would " +
  "then people go when see here did got well too really some why more thanks make want need today work right new yeah " +
  "still also any back use which day way thing could much should who them sure something been going because our where very " +
  "server channel message client build release test issue bug fix deploy config file update version error branch merge " +
  "review patch commit docs link video music game coffee lunch meeting weekend monday friday tomorrow tonight morning " +
  "database query index history search login account password network proxy backup disk memory cpu latency"
).split(" ");

const SYLLABLES = "ka lo mi ne ru ta shi vo den pax ter ul bri qua zo fen gar hol ix jun kem lar mos nor pel quo ras sul tam ven wex yor zan".split(" ");

/** Made-up word number i: distinct syllable strings of two or more syllables. */
function madeUpWord(i: number): string {
  let n = i + SYLLABLES.length; // two syllables at least
  let word = "";
  while (n > 0) {
    word = SYLLABLES[n % SYLLABLES.length]! + word;
    n = Math.floor(n / SYLLABLES.length);
  }
  return word;
}

/** The vocabulary, most frequent first: COMMON_WORDS, then made-up words up to `size`. */
export function vocabulary(size: number): string[] {
  const words = COMMON_WORDS.slice(0, size);
  const seen = new Set(words);
  for (let i = 0; words.length < size; i++) {
    const word = madeUpWord(i);
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

export interface ShapeOptions {
  readonly messages: number;
  readonly accounts: number;
  readonly channels: number;
  /** Direct conversations (pairs of accounts). */
  readonly dmPairs: number;
  /** Share of messages that are direct messages. */
  readonly dmShare: number;
  readonly vocabulary: number;
  readonly seed: number;
  /** Time of the last message (ms since the epoch); the first is `spanMs` earlier. */
  readonly endTime: number;
  readonly spanMs: number;
}

export function defaultShape(messages: number, accounts: number, endTime: number): ShapeOptions {
  return {
    messages,
    accounts,
    channels: 1000,
    dmPairs: Math.max(1, Math.min(20_000, Math.floor(accounts / 2))),
    dmShare: 0.3,
    vocabulary: 30_000,
    seed: 12,
    endTime,
    spanMs: YEAR_MS,
  };
}

/** One generated message, as the messages table holds it. Reused between calls: copy what you keep. */
export interface MessageRow {
  msgid: string;
  kind: string;
  target: string;
  targetDisplay: string;
  senderNick: string;
  senderMask: string;
  senderAccount: string;
  recipientAccount: string | null;
  time: number;
  text: string;
}

export function accountName(i: number): string {
  return `user${i}`;
}

export function channelName(k: number): string {
  return `#room${k}`;
}

/** The history key of a direct conversation (core/chat/history.ts directKey). */
export function directKey(a: string, b: string): string {
  return a < b ? `@${a} ${b}` : `@${b} ${a}`;
}

const PUNCTUATION = ["", "", "", ".", "?", "!", " :)", "..."];
const MSGIDS_PER_PREFIX = 100_000;
const MAX_WORDS = 120;

export class ScaleShape {
  readonly words: string[];
  readonly #wordTable: AliasTable;
  readonly #lengthTable: AliasTable;
  readonly #channelTable: AliasTable;
  readonly #pairTable: AliasTable;

  constructor(readonly options: ShapeOptions) {
    this.words = vocabulary(options.vocabulary);
    this.#wordTable = new AliasTable(zipfWeights(this.words.length));
    // Words per message: log-normal (median e^1.9 ≈ 6.7, mean ≈ 8.5), 1 to MAX_WORDS.
    const lengths = new Float64Array(MAX_WORDS + 1);
    for (let n = 1; n <= MAX_WORDS; n++) lengths[n] = Math.exp(-((Math.log(n) - 1.9) ** 2) / (2 * 0.7 ** 2)) / n;
    this.#lengthTable = new AliasTable(lengths);
    this.#channelTable = new AliasTable(zipfWeights(Math.max(1, options.channels)));
    this.#pairTable = new AliasTable(zipfWeights(Math.max(1, options.dmPairs)));
  }

  /** The two accounts of direct conversation p (a ≠ b; pair 0 is the longest conversation). */
  pair(p: number): [number, number] {
    const n = this.options.accounts;
    const rng = new Rng(this.options.seed * 7919 + p);
    const a = rng.below(n);
    let b = rng.below(n - 1);
    if (b >= a) b++;
    return [a, b];
  }

  /** Share of all messages that the word of rank r is expected in (for choosing search words). */
  wordShare(rank: number): number {
    let h = 0;
    for (let k = 1; k <= this.words.length; k++) h += 1 / k;
    return 1 - Math.pow(1 - 1 / ((rank + 1) * h), 8.5);
  }

  /**
   * Calls `each` for messages [from, from + count) in id order, with one reused row.
   * Deterministic per message index, so a fill may be cut into batches anywhere.
   */
  forEach(from: number, count: number, each: (row: MessageRow, index: number) => void): void {
    const o = this.options;
    const row: MessageRow = { msgid: "", kind: "", target: "", targetDisplay: "", senderNick: "", senderMask: "", senderAccount: "", recipientAccount: null, time: 0, text: "" };
    const start = o.endTime - o.spanMs;
    let prefixOf = -1;
    let prefix = "";
    for (let i = from; i < from + count; i++) {
      // A generator per message (hashed index), so any batch boundary gives the same rows.
      const rng = new Rng(Math.imul(i, 0x9e3779b1) ^ Math.imul(o.seed, 0x85ebca6b));
      if (Math.floor(i / MSGIDS_PER_PREFIX) !== prefixOf) {
        prefixOf = Math.floor(i / MSGIDS_PER_PREFIX);
        prefix = msgidPrefix(o.seed, prefixOf);
      }
      row.msgid = `${prefix}${(i % MSGIDS_PER_PREFIX).toString(36)}`;
      row.kind = rng.next() < 0.02 ? "notice" : "privmsg";
      row.time = start + Math.floor(((i + 0.5) * o.spanMs) / Math.max(1, o.messages));
      if (o.dmPairs > 0 && o.accounts > 1 && rng.next() < o.dmShare) {
        const [a, b] = this.pair(this.#pairTable.draw(rng));
        const [from_, to] = rng.next() < 0.5 ? [a, b] : [b, a];
        const sender = accountName(from_);
        row.senderAccount = sender;
        row.recipientAccount = accountName(to);
        row.target = directKey(sender, row.recipientAccount);
        row.targetDisplay = row.recipientAccount;
        this.#sender(row, from_);
      } else {
        const channel = this.#channelTable.draw(rng);
        const sender = rng.below(Math.max(1, o.accounts));
        row.senderAccount = accountName(sender);
        row.recipientAccount = null;
        row.target = channelName(channel);
        row.targetDisplay = row.target;
        this.#sender(row, sender);
      }
      row.text = this.#text(rng);
      each(row, i);
    }
  }

  #sender(row: MessageRow, account: number): void {
    row.senderNick = row.senderAccount;
    row.senderMask = `${row.senderAccount}!~${row.senderAccount}@10.${(account >> 16) & 255}.${(account >> 8) & 255}.${account & 255}`;
  }

  #text(rng: Rng): string {
    const n = this.#lengthTable.draw(rng);
    let text = "";
    for (let w = 0; w < n; w++) {
      const word = this.words[this.#wordTable.draw(rng)]!;
      text += w === 0 ? (rng.next() < 0.3 ? word[0]!.toUpperCase() + word.slice(1) : word) : ` ${word}`;
    }
    return text + PUNCTUATION[rng.below(PUNCTUATION.length)]!;
  }
}

/** 12 base64url characters, like MessageIds' random prefix, but from the seed. */
function msgidPrefix(seed: number, block: number): string {
  const rng = new Rng(seed * 31 + block * 104_729 + 1);
  const bytes = Buffer.alloc(9);
  for (let i = 0; i < 9; i++) bytes[i] = rng.below(256);
  return bytes.toString("base64url");
}
