/**
 * Chat traffic for the fault-injection tests (not a test file: the runner only picks
 * up `*.test.ts`): raw IRC senders that pipeline messages at a bounded rate and
 * record which ones the server acknowledged (acknowledged = the sender saw its
 * echo, echo-message), and the history read back through CHATHISTORY to check that
 * every acknowledged message is there exactly once, in its sender's order.
 */
import assert from "node:assert/strict";
import { chathistory, parseLine, textOf, type Line } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";

/** A small seeded generator (mulberry32): the same seed gives the same kill points. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CMY_TEST_SEED when set (to replay a failure), otherwise a fresh one; the test prints it. */
export function testSeed(): number {
  const given = process.env["CMY_TEST_SEED"];
  return given !== undefined && given !== "" ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

/** One message the server echoed to its sender. */
export interface Acked {
  readonly sender: string;
  readonly target: string;
  readonly text: string;
  readonly msgid: string;
  /** The sender's own sequence number: its order of sending. */
  readonly seq: number;
}

export interface SenderOptions {
  /** The sender's nick (= its account). */
  readonly nick: string;
  /** Chooses the target of each message (a channel or a nick). */
  readonly target: () => string;
  /** Text prefix that makes every message of the test unique, e.g. "r1". */
  readonly prefix: string;
  /** Milliseconds between two messages. */
  readonly intervalMs: number;
  /** The most messages this sender sends (the loop is bounded whatever happens). */
  readonly maxMessages: number;
}

/** Text of message `seq` of `nick`: parsed back by `parseText`. */
function messageText(prefix: string, nick: string, seq: number): string {
  return `${prefix} ${nick} ${seq} ${"x".repeat(40)}`;
}

/** [prefix, nick, seq] of a message sent by a Sender, or null for anything else. */
export function parseText(text: string): { prefix: string; nick: string; seq: number } | null {
  const match = /^(\S+) (\S+) (\d+) x+$/.exec(text);
  return match ? { prefix: match[1]!, nick: match[2]!, seq: Number(match[3]) } : null;
}

/**
 * Sends PRIVMSGs without waiting for each echo (so some are always in flight, as with
 * a real client), at most one per `intervalMs`, until stopped, its socket closes or
 * `maxMessages` went out. Every echo that comes back is recorded as acknowledged.
 */
export class Sender {
  readonly acked: Acked[] = [];
  /** What the sender said it refused (FAIL …): never acknowledged. */
  readonly failed: string[] = [];
  #sent = 0;
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(
    readonly client: RawClient,
    readonly options: SenderOptions,
  ) {
    const pending = new Map<string, { target: string; seq: number }>();
    client.socket.on("data", () => {
      // RawClient has parsed the chunk into lines; take the echoes and failures out.
      for (let i = 0; i < client.lines.length; i++) {
        const line = parseLine(client.lines[i]!);
        if (line.command === "PRIVMSG" && line.source.startsWith(`${options.nick}!`)) {
          const text = textOf(line);
          const sent = pending.get(text);
          if (!sent) continue;
          pending.delete(text);
          this.acked.push({ sender: options.nick, target: sent.target, text, msgid: line.tags.get("msgid") ?? "", seq: sent.seq });
          client.lines.splice(i--, 1);
        } else if (line.command === "FAIL" && line.params[0] === "PRIVMSG") {
          this.failed.push(line.raw);
          client.lines.splice(i--, 1);
        } else if (line.command === "PRIVMSG") {
          // Messages from the other senders: not this test's concern here.
          client.lines.splice(i--, 1);
        }
      }
    });
    this.#loop = (async () => {
      for (let seq = 0; seq < options.maxMessages && !this.#stopped && !client.isClosed; seq++) {
        const target = options.target();
        const text = messageText(options.prefix, options.nick, seq);
        pending.set(text, { target, seq });
        client.send(`PRIVMSG ${target} :${text}`);
        this.#sent++;
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      }
    })();
  }

  get sent(): number {
    return this.#sent;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}

/** A history entry: the message's text and msgid. */
export interface HistoryEntry {
  readonly text: string;
  readonly msgid: string;
}

/** Every PRIVMSG CHATHISTORY returns for `target`, oldest first, paging back 100 at a time (client needs batch, message-tags, draft/chathistory). */
export async function readHistory(client: RawClient, target: string, maxPages = 100): Promise<HistoryEntry[]> {
  const pages: Line[][] = [];
  let reply = await chathistory(client, `LATEST ${target} * 100`);
  for (let page = 0; page < maxPages; page++) {
    if (!reply.ok) throw new Error(`CHATHISTORY of ${target} failed: ${reply.fail.raw}`);
    if (reply.messages.length === 0) break;
    pages.unshift([...reply.messages]);
    const oldest = reply.messages[0]!.tags.get("msgid");
    if (reply.messages.length < 100 || !oldest) break;
    reply = await chathistory(client, `BEFORE ${target} msgid=${oldest} 100`);
  }
  return pages
    .flat()
    .filter((line) => line.command === "PRIVMSG")
    .map((line) => ({ text: textOf(line), msgid: line.tags.get("msgid") ?? "" }));
}

/**
 * Asserts the history of one conversation holds every acknowledged message of it once,
 * with the msgid its sender was given, each sender's in the order they were sent; and
 * that no message (acknowledged or not) is in it twice.
 */
export function assertHistoryHolds(what: string, history: readonly HistoryEntry[], acked: readonly Acked[]): void {
  const seen = new Map<string, number>();
  for (const entry of history) seen.set(entry.text, (seen.get(entry.text) ?? 0) + 1);
  const twice = [...seen].filter(([, count]) => count > 1).map(([text]) => text);
  assert.deepEqual(twice, [], `${what}: messages stored more than once`);
  const byText = new Map(history.map((entry, index) => [entry.text, { ...entry, index }]));
  const missing = acked.filter((message) => !byText.has(message.text)).map((message) => message.text);
  assert.deepEqual(missing, [], `${what}: ${missing.length} of ${acked.length} acknowledged messages are not in history`);
  for (const message of acked) assert.equal(byText.get(message.text)!.msgid, message.msgid, `${what}: "${message.text}" is in history under another msgid`);
  // One sender's run (its nick and the text prefix: one connection's sequence).
  const runOf = (message: Acked): string => `${message.sender} ${parseText(message.text)?.prefix ?? ""}`;
  for (const run of new Set(acked.map(runOf))) {
    const mine = acked.filter((message) => runOf(message) === run);
    const stored = mine.map((message) => ({ seq: message.seq, index: byText.get(message.text)!.index })).sort((a, b) => a.index - b.index);
    const order = stored.map((entry) => entry.seq);
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `${what}: the acknowledged messages of ${run} are out of order in history`,
    );
  }
}
