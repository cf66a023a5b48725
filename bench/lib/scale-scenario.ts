/**
 * What the scale study measures on one running server (empty or full database):
 * REGISTER and SASL PLAIN login, CHATHISTORY LATEST/BEFORE/AROUND on the biggest
 * channel and the longest direct conversation, the HTTP history pages and search,
 * and chat latency with nothing else going on (the reference for the retention pass).
 *
 * Both databases get the same seeding first: the reader sends SEED messages to the
 * channel and to its peer, holding the search words, so the empty database answers
 * full pages too and the comparison is about the size of the data, not of the answer.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { saslLogin } from "./accounts.js";
import type { BenchClient } from "./client.js";
import { Hub } from "./load-client.js";
import { ChatProbe, latenciesBetween, type ChatSamples } from "./scale-chat.js";
import { chathistory, readerLogin, timedRegister } from "./scale-irc.js";
import { measureOps, type OpResult } from "./scale-measure.js";
import type { RefReader } from "./scale-refs.js";
import { channelName, directKey, Rng } from "./scale-shape.js";
import { closeAll, type Target } from "./scenarios.js";
import { summarise } from "./traffic.js";

export interface ScaleRunOptions {
  /** Requests per history / HTTP kind. */
  readonly requests: number;
  /** Requests per search word. */
  readonly searches: number;
  readonly logins: number;
  readonly registrations: number;
  /** Messages per page (CHATHISTORY limit, HTTP limit). */
  readonly page: number;
  readonly chatRate: number;
  readonly chatSeconds: number;
  readonly timeoutMs: number;
}

/** Who reads, and whose accounts the logins use: generated ones on a full database, registered ones on an empty one. */
export interface Cast {
  readonly reader: string;
  readonly peer: string;
  readonly password: string;
  /** Login i logs in to loginAccount(i). */
  loginAccount(i: number): string;
}

export interface SearchWords {
  readonly common: string;
  readonly middle: string;
  readonly rare: string;
}

const SEED = 300;

export interface RunResult {
  readonly ops: OpResult[];
  readonly chat: { p50: number; p99: number; max: number; samples: number; lost: number };
}

/** One server under test and what is needed to talk to it. */
export interface Side {
  readonly target: Target;
  readonly httpPort: number;
  readonly refs: RefReader;
  /** The password of the accounts registered by the run (and, on a full database, of the generated ones). */
  readonly password: string;
  /** Who reads and logs in, given the accounts this run registered on that server. */
  cast(registered: readonly string[]): Cast;
}

async function httpJson(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}

/** Everything but the chat, on every side at once (lib/scale-measure.ts): one result list per side. */
export async function runScale(sides: readonly Side[], words: SearchWords, options: ScaleRunOptions, say: (line: string) => void): Promise<OpResult[][]> {
  const targets = sides.map((s) => s.target);
  const results: OpResult[][] = sides.map(() => []);
  const hub = new Hub();
  const measure = async (name: string, count: number, warmup: number, run: (side: number, i: number) => Promise<number>): Promise<void> => {
    const ops = await measureOps(targets, name, count, warmup, run);
    ops.forEach((op, side) => results[side]!.push(op));
    say(
      `  ${name}: ${ops
        .map((op) => `p50 ${op.p50.toFixed(2)} / p99 ${op.p99.toFixed(2)} ms, server ${op.serverMs.toFixed(2)} ms/req${Number.isFinite(op.databaseMs) ? ` + pg ${op.databaseMs.toFixed(2)}` : ""}, ${op.items.toFixed(0)} items${op.failed > 0 ? `, ${op.failed} failed: ${op.error}` : ""}`)
        .join("  |  ")}  (others ${ops[0]!.othersPct.toFixed(0)}% CPU)`,
    );
  };

  // Registrations first: an empty database then has the accounts the rest needs.
  const tag = randomBytes(3).toString("hex");
  const registered: string[][] = sides.map(() => []);
  await measure("REGISTER (new account)", options.registrations, 0, async (side, i) => {
    const name = `r${tag}${side}x${i}`;
    await timedRegister(targets[side]!, hub, i, name, sides[side]!.password, options.timeoutMs);
    registered[side]!.push(name);
    return 0;
  });
  const casts = sides.map((s, side) => s.cast(registered[side]!));
  await measure("SASL PLAIN login (connect → 001)", options.logins, 2, async (side, i) => {
    const login = await saslLogin(targets[side]!, hub, 100 + i, `lg${i}x${randomBytes(2).toString("hex")}`, casts[side]!.loginAccount(i), casts[side]!.password, options.timeoutMs);
    login.client.destroy();
    return 0;
  });

  const channel = channelName(0);
  const readers: BenchClient[] = [];
  try {
    for (const [side, cast] of casts.entries()) {
      const reader = await readerLogin(targets[side]!, hub, 1, `rd${randomBytes(2).toString("hex")}`, cast.reader, cast.password, options.timeoutMs);
      readers.push(reader);
      await reader.join(channel, options.timeoutMs);
      let seed = "";
      for (let i = 0; i < SEED; i++) {
        const text = `seed ${i} ${words.common}${i % 3 === 0 ? ` ${words.middle}` : ""}${i % 10 === 0 ? ` ${words.rare}` : ""}`;
        seed += `PRIVMSG ${channel} :${text}\r\nPRIVMSG ${cast.peer} :${text}\r\n`;
      }
      reader.send(seed);
    }
    // History is written per event-loop turn and SQLite's search index every 500 ms.
    await sleep(1500);

    const n = options.requests;
    const page = options.page;
    const channelRefs: string[][] = [];
    const dmRefs: string[][] = [];
    for (const [side, s] of sides.entries()) {
      const rng = new Rng(99);
      channelRefs.push(await s.refs.msgids(channel, n + 5, rng));
      dmRefs.push(await s.refs.msgids(directKey(casts[side]!.reader, casts[side]!.peer), n + 5, rng));
    }
    const irc = (request: (side: number, i: number) => string) => (side: number, i: number) => chathistory(readers[side]!, request(side, i), options.timeoutMs);
    const peer = (side: number): string => casts[side]!.peer;
    await measure("CHATHISTORY LATEST channel", n, 5, irc(() => `CHATHISTORY LATEST ${channel} * ${page}`));
    await measure("CHATHISTORY BEFORE channel", n, 5, irc((side, i) => `CHATHISTORY BEFORE ${channel} msgid=${channelRefs[side]![i]} ${page}`));
    await measure("CHATHISTORY AROUND channel", n, 5, irc((side, i) => `CHATHISTORY AROUND ${channel} msgid=${channelRefs[side]![i]} ${page}`));
    await measure("CHATHISTORY LATEST DM", n, 5, irc((side) => `CHATHISTORY LATEST ${peer(side)} * ${page}`));
    await measure("CHATHISTORY BEFORE DM", n, 5, irc((side, i) => `CHATHISTORY BEFORE ${peer(side)} msgid=${dmRefs[side]![i]} ${page}`));
    await measure("CHATHISTORY AROUND DM", n, 5, irc((side, i) => `CHATHISTORY AROUND ${peer(side)} msgid=${dmRefs[side]![i]} ${page}`));

    const headers: Array<Record<string, string>> = [];
    for (const [side, cast] of casts.entries()) {
      const session = (await httpJson(`http://127.0.0.1:${sides[side]!.httpPort}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: cast.reader, password: cast.password }),
      })) as { tokens: { accessToken: string } };
      headers.push({ authorization: `Bearer ${session.tokens.accessToken}` });
    }
    const get = (path: (side: number, i: number) => string, field: "messages" | "results") => async (side: number, i: number) => {
      const body = (await httpJson(`http://127.0.0.1:${sides[side]!.httpPort}/api/v1${path(side, i)}`, { headers: headers[side]! })) as Record<string, unknown[]>;
      return body[field]?.length ?? 0;
    };
    const room = encodeURIComponent(channel);
    await measure("HTTP channel page, latest", n, 5, get(() => `/channels/${room}/messages?limit=${page}`, "messages"));
    await measure("HTTP channel page, before msgid", n, 5, get((side, i) => `/channels/${room}/messages?limit=${page}&before=${channelRefs[side]![i]}`, "messages"));
    await measure("HTTP DM page, before msgid", n, 5, get((side, i) => `/dms/${peer(side)}/messages?limit=${page}&before=${dmRefs[side]![i]}`, "messages"));
    const search = (q: string) => get(() => `/search?limit=20&q=${encodeURIComponent(q)}`, "results");
    await measure(`HTTP search, common word (${words.common})`, options.searches, 2, search(words.common));
    await measure(`HTTP search, middle word (${words.middle})`, options.searches, 2, search(words.middle));
    await measure(`HTTP search, rare word (${words.rare})`, options.searches, 2, search(words.rare));
    await measure("HTTP search, two words", options.searches, 2, search(`${words.common} ${words.middle}`));
    // The same words from a random point in history (a `before=` cursor at a random
    // message): the newest matches above are the seed's, these are the generated history's.
    const cursors: string[][] = [];
    for (const s of sides.values()) {
      const positions = await s.refs.positions(options.searches + 2, new Rng(7));
      cursors.push(positions.map((p) => Buffer.from(`${p.time}.${p.id}`, "utf8").toString("base64url")));
    }
    const searchFrom = (q: string) => get((side, i) => `/search?limit=20&q=${encodeURIComponent(q)}&before=${cursors[side]![i]}`, "results");
    await measure(`HTTP search from a random point, common word`, options.searches, 2, searchFrom(words.common));
    await measure(`HTTP search from a random point, middle word`, options.searches, 2, searchFrom(words.middle));
    await measure(`HTTP search from a random point, rare word`, options.searches, 2, searchFrom(words.rare));
    await measure("HTTP search from a random point, two words", options.searches, 2, searchFrom(`${words.common} ${words.middle}`));
  } finally {
    await closeAll(readers);
  }
  return results;
}

/** Chat latency with nothing else going on, for `seconds` (the first half second not counted). */
export async function idleChat(target: Target, options: ScaleRunOptions): Promise<RunResult["chat"]> {
  const channel = `#chat${randomBytes(2).toString("hex")}`;
  const probe = await ChatProbe.open(target, channel, options.timeoutMs);
  const t0 = performance.now() * 1000;
  probe.start(channel, options.chatRate, 100);
  await sleep(options.chatSeconds * 1000);
  const samples = await probe.stop();
  return chatSummary(samples, t0 + 500_000, Number.POSITIVE_INFINITY);
}

export function chatSummary(samples: ChatSamples, from: number, to: number): RunResult["chat"] {
  const latencies = latenciesBetween(samples, from, to);
  const s = summarise(latencies);
  return { p50: s.p50, p99: s.p99, max: s.max, samples: latencies.length, lost: samples.lost };
}

