/**
 * IRC clients on cluster nodes, and what the cluster tests read through them:
 * NAMES and TOPIC as each node answers them, and waits until every node agrees.
 * Clients are closed when the test ends (before the nodes stop).
 */
import { isDeepStrictEqual } from "node:util";
import { FrameworkClient, type FrameworkOptions } from "./framework-client.js";
import { chathistory, exchange, parseLine, textOf, type Line } from "./irc-lines.js";
import { RawClient } from "./raw-client.js";
import { saslPlain } from "./sasl.js";
import { teardownOf, type AfterHook, type Teardown } from "./teardown.js";
import { waitFor } from "./wait.js";

/** Where a node's IRC listener is (a ClusterNode has both). */
export interface IrcAddress {
  readonly name: string;
  readonly host: string;
  readonly ircPort: number;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function track<C extends RawClient | FrameworkClient>(owner: AfterHook | Teardown, client: C): C {
  teardownOf(owner).add(`closing IRC client ${client instanceof FrameworkClient ? client.nick : ""}`, async () => {
    if (client instanceof RawClient) {
      client.close();
      await client.closed;
    } else await client.close();
  });
  return client;
}

/** A raw client that has only connected to `node`. */
export async function rawConnect(owner: AfterHook | Teardown, node: IrcAddress): Promise<RawClient> {
  return track(owner, await RawClient.connect(node.ircPort, node.host));
}

export interface RegisterOptions {
  readonly caps?: readonly string[];
  /** Channel whose end of NAMES marks ready (the auto-join); null to stop at the end of the MOTD. */
  readonly readyChannel?: string | null;
  /** How long registration may take (a cluster node may ask Redis first). */
  readonly timeoutMs?: number;
}

/** A raw client registered on `node` as `nick`, done auto-joining #general (unless told otherwise). */
export async function rawClient(owner: AfterHook | Teardown, node: IrcAddress, nick: string, options: RegisterOptions = {}): Promise<RawClient> {
  const client = await rawConnect(owner, node);
  const caps = options.caps ?? [];
  if (caps.length > 0) client.send(`CAP REQ :${caps.join(" ")}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick} on ${node.name}`);
  if (caps.length > 0) client.send("CAP END");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const end = await client.waitFor(/ (376|422|433|432) | FAIL /, timeoutMs);
  if (!/ (376|422) /.test(end)) throw new Error(`${nick} could not register on ${node.name}: ${end}`);
  const ready = options.readyChannel === undefined ? "#general" : options.readyChannel;
  if (ready !== null) await client.waitFor(new RegExp(` 366 ${escapeRegExp(nick)} ${escapeRegExp(ready)} `, "i"), timeoutMs);
  return client;
}

/** Registers the account `name` (IRC REGISTER, its nick the account's) on `node`, then leaves. */
export async function registerAccount(owner: AfterHook | Teardown, node: IrcAddress, name: string, password: string): Promise<void> {
  const maker = await rawClient(owner, node, name, { readyChannel: null });
  maker.send(`REGISTER * * :${password}`);
  const answer = await maker.waitFor(/ REGISTER SUCCESS | FAIL REGISTER /, 10_000);
  if (!/ REGISTER SUCCESS /.test(answer)) throw new Error(`REGISTER ${name} on ${node.name}: ${answer}`);
  maker.send("QUIT :made the account");
  await maker.closed;
}

/** An irc-framework client (a real client library) on `node`. */
export async function frameworkClient(owner: AfterHook | Teardown, node: IrcAddress, nick: string, options: FrameworkOptions = {}): Promise<FrameworkClient> {
  return track(owner, await FrameworkClient.connect(node.ircPort, nick, { host: node.host, ...options }));
}

/** The nick in a NAMES entry, without its prefixes (@, +, …). */
export const bareNick = (entry: string): string => entry.replace(/^[~&@%+]+/, "");

/** NAMES of `channel` as `client`'s node answers it: entries with prefixes, sorted. */
export async function names(client: RawClient, channel: string): Promise<string[]> {
  const lines = await exchange(client, `NAMES ${channel}`);
  return lines
    .filter((line) => line.command === "353" && line.params[2]?.toLowerCase() === channel.toLowerCase())
    .flatMap((line) => (line.params[3] ?? "").split(" ").filter((entry) => entry !== ""))
    .sort();
}

/** The topic of `channel` as `client`'s node answers TOPIC: its text, or null when none is set. */
export async function topic(client: RawClient, channel: string): Promise<string | null> {
  const lines = await exchange(client, `TOPIC ${channel}`);
  const set = lines.find((line: Line) => line.command === "332");
  if (set) return set.params[2] ?? "";
  if (lines.some((line) => line.command === "331")) return null;
  throw new Error(`no 331/332 reply to TOPIC ${channel}: ${lines.map((line) => line.raw).join(" | ")}`);
}

/**
 * Reads `read(client)` from one client per node until all answers are equal (and
 * `accept` takes them); resolves with that answer. Fails after `timeoutMs` showing
 * what each node said last.
 */
export async function converged<T>(
  clients: ReadonlyArray<{ readonly node: string; readonly client: RawClient }>,
  read: (client: RawClient) => Promise<T>,
  options: { readonly what: string; readonly timeoutMs?: number; readonly accept?: (value: T) => boolean },
): Promise<T> {
  let last: Array<[string, T]> = [];
  try {
    return await waitFor(
      async () => {
        last = await Promise.all(clients.map(async ({ node, client }) => [node, await read(client)] as [string, T]));
        const first = last[0]![1];
        const agree = last.every(([, value]) => isDeepStrictEqual(value, first));
        return agree && (options.accept?.(first) ?? true) ? { value: first } : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 5000, intervalMs: 100, what: options.what },
    ).then(({ value }) => value);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answers: ${last.map(([node, value]) => `${node}=${JSON.stringify(value)}`).join(", ")}`, { cause: error });
  }
}

/**
 * Connects to `node`, logs in with SASL PLAIN before registering (asking for `nick`),
 * and registers; resolves with the client (welcome burst over) and the numeric that
 * ended SASL (903 on success).
 */
export async function saslClient(
  owner: AfterHook | Teardown,
  node: IrcAddress,
  nick: string,
  account: string,
  password: string,
  caps: readonly string[] = [],
): Promise<{ client: RawClient; result: Line; welcomedAs: string }> {
  const client = await rawConnect(owner, node);
  client.send("CAP LS 302");
  client.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick} on ${node.name}`);
  await client.waitFor(/ CAP \S+ ACK /);
  const result = await saslPlain(client, account, password);
  client.send("CAP END");
  const welcome = parseLine(await client.waitFor(/ 001 /, 10_000));
  await client.waitFor(/ (376|422) /);
  return { client, result, welcomedAs: welcome.params[0] ?? "" };
}

/** Registers the account `nick` through `node`, logs in there under that nick and turns ALWAYS-ON on; resolves with the connection. */
export async function alwaysOnAccount(owner: AfterHook | Teardown, node: IrcAddress, nick: string, password: string): Promise<RawClient> {
  await registerAccount(owner, node, nick, password);
  const { client } = await saslClient(owner, node, nick, nick, password);
  client.send("PRIVMSG NickServ :SET ALWAYS-ON ON");
  await client.waitFor(new RegExp(`NOTICE ${nick} :ALWAYS-ON is now ON`), 5000);
  return client;
}

/** Every message text CHATHISTORY returns for `target`, oldest first, paging back 100 at a time (needs HISTORY_CAPS). */
export async function wholeHistory(client: RawClient, target: string, maxPages = 50): Promise<string[]> {
  const pages: Line[][] = [];
  let reply = await chathistory(client, `LATEST ${target} * 100`);
  for (let page = 0; page < maxPages; page++) {
    if (!reply.ok) throw new Error(`CHATHISTORY failed: ${reply.fail.raw}`);
    if (reply.messages.length === 0) break;
    pages.unshift([...reply.messages]);
    const oldest = reply.messages[0]!.tags.get("msgid");
    if (reply.messages.length < 100 || !oldest) break;
    reply = await chathistory(client, `BEFORE ${target} msgid=${oldest} 100`);
  }
  return pages.flat().filter((line) => line.command === "PRIVMSG").map(textOf);
}
