/**
 * Reading IRC lines in tests: a small independent parser (tags, source, params),
 * CHATHISTORY requests that collect their batch, and messages sent with
 * echo-message so the test knows the msgid and time the server gave them.
 */
import type { RawClient } from "./raw-client.js";

export interface Line {
  readonly raw: string;
  readonly tags: ReadonlyMap<string, string>;
  /** The prefix without ':' ("" when there is none). */
  readonly source: string;
  readonly command: string;
  readonly params: readonly string[];
}

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => ({ ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" })[c] ?? c);
}

export function parseLine(raw: string): Line {
  let rest = raw;
  const tags = new Map<string, string>();
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    for (const item of rest.slice(1, end).split(";")) {
      const eq = item.indexOf("=");
      tags.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? "" : unescapeTag(item.slice(eq + 1)));
    }
    rest = rest.slice(end + 1);
  }
  let source = "";
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    source = rest.slice(1, end);
    rest = rest.slice(end + 1);
  }
  const params: string[] = [];
  let command = "";
  while (rest.length > 0) {
    if (rest.startsWith(":") && command !== "") {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(" ");
    const word = end === -1 ? rest : rest.slice(0, end);
    if (command === "") command = word;
    else params.push(word);
    rest = end === -1 ? "" : rest.slice(end + 1);
  }
  return { raw, tags, source, command, params };
}

export const SERVER_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const nickOf = (line: Line): string => line.source.split("!")[0]!;

/** The text of a PRIVMSG/NOTICE line. */
export const textOf = (line: Line): string => line.params[line.params.length - 1] ?? "";

let syncCounter = 0;

/** Sends `line`, then a PING, and returns (and removes) every line received until its PONG. */
export async function exchange(client: RawClient, line: string, timeoutMs = 5000): Promise<Line[]> {
  const token = `xchg${++syncCounter}`;
  const mark = client.lines.length;
  client.send(line);
  client.send(`PING ${token}`);
  await client.waitFor(new RegExp(` PONG \\S+ :?${token}$`), timeoutMs);
  return client.lines.splice(mark).map(parseLine);
}

export type HistoryReply =
  | { readonly ok: true; readonly type: string; readonly batchParams: readonly string[]; readonly messages: readonly Line[] }
  | { readonly ok: false; readonly fail: Line };

/**
 * Sends `CHATHISTORY <args>` and returns its batch (type, parameters and the lines
 * in it) or its FAIL. With no `batch` cap the loose PRIVMSG/NOTICE/CHATHISTORY lines are returned.
 */
export async function chathistory(client: RawClient, args: string): Promise<HistoryReply> {
  const lines = await exchange(client, `CHATHISTORY ${args}`);
  const fail = lines.find((l) => l.command === "FAIL" && l.params[0] === "CHATHISTORY");
  if (fail) return { ok: false, fail };
  const start = lines.find((l) => l.command === "BATCH" && l.params[0]?.startsWith("+"));
  if (!start) return { ok: true, type: "", batchParams: [], messages: lines.filter((l) => ["PRIVMSG", "NOTICE", "CHATHISTORY"].includes(l.command)) };
  const ref = start.params[0]!.slice(1);
  if (!lines.some((l) => l.command === "BATCH" && l.params[0] === `-${ref}`)) throw new Error(`batch ${ref} not closed:\n${lines.map((l) => l.raw).join("\n")}`);
  return { ok: true, type: start.params[1] ?? "", batchParams: start.params.slice(2), messages: lines.filter((l) => l.tags.get("batch") === ref) };
}

/** The texts of a history reply (asserting it succeeded). */
export function texts(reply: HistoryReply): string[] {
  if (!reply.ok) throw new Error(`CHATHISTORY failed: ${reply.fail.raw}`);
  return reply.messages.map(textOf);
}

/** A message the test sent, as the server echoed it (needs echo-message, message-tags, server-time). */
export interface Sent {
  readonly text: string;
  readonly msgid: string;
  readonly time: string;
  readonly line: Line;
}

/** PRIVMSG (or NOTICE) to `target`, resolved with the echo: the server accepted, stored and delivered it. */
export async function say(client: RawClient, target: string, text: string, command: "PRIVMSG" | "NOTICE" = "PRIVMSG"): Promise<Sent> {
  client.send(`${command} ${target} :${text}`);
  const echoed = await client.waitFor((raw) => {
    const line = parseLine(raw);
    return (line.command === command && line.params[0]?.toLowerCase() === target.toLowerCase() && textOf(line) === text) || (line.command === "FAIL" && line.params[0] === command);
  });
  const line = parseLine(echoed);
  if (line.command === "FAIL") throw new Error(`${command} to ${target} failed: ${echoed}`);
  const msgid = line.tags.get("msgid");
  const time = line.tags.get("time");
  if (!msgid || !time) throw new Error(`echo lacks msgid/time (request echo-message, message-tags and server-time): ${echoed}`);
  return { text, msgid, time, line };
}

/** Caps a client that reads history with tags wants. */
export const HISTORY_CAPS = ["batch", "server-time", "message-tags", "echo-message", "draft/chathistory"] as const;
