import { parseMessage } from "../../src/irc/message.js";
import { invariant, type FuzzTarget } from "../engine/target.js";
import { startFuzzServer, type FuzzServer } from "./fuzz-server.js";
import { IRC_TOKENS } from "./irc-tokens.js";
import { LineClient } from "./line-client.js";

/** How long the PONG after an input may take; past it, the input hung the connection. */
const PONG_WAIT_MS = 4_000;
/** A second connection is opened and answered every this many inputs. */
const ACCEPT_CHECK_EVERY = 25;

let fuzzServer: FuzzServer | null = null;
let port = 0;
let client: LineClient | null = null;
let inputs = 0;
let nicks = 0;
/** The first line from the server that broke the protocol since the last input. */
let badLine: string | null = null;

/** RFC 1459 / IRCv3: without its tags, a line is at most 512 bytes, CRLF included. */
const MAX_BODY_BYTES = 510;

/** Commands servers send without a source, as Ergo and Solanum do. */
const SOURCELESS = new Set(["ERROR", "PING", "AUTHENTICATE"]);

/** What every line the server sends must be: UTF-8, parseable, within 512 bytes without tags, no NUL. */
function checkServerLine(line: string, utf8: boolean): void {
  if (badLine !== null) return;
  if (!utf8) {
    badLine = `a line that is not UTF-8 (the server announces UTF8ONLY): ${JSON.stringify(line)}`;
    return;
  }
  const tagEnd = line.startsWith("@") ? line.indexOf(" ") + 1 : 0;
  const bodyBytes = Buffer.byteLength(line) - Buffer.byteLength(line.slice(0, tagEnd));
  const message = parseMessage(line);
  if (bodyBytes > MAX_BODY_BYTES) badLine = `a line of ${bodyBytes} bytes without tags (at most ${MAX_BODY_BYTES}): ${line.slice(0, 200)}…`;
  else if (/[\0\r\n]/.test(line)) badLine = `a line with NUL, CR or LF: ${JSON.stringify(line)}`;
  else if (message === null || (message.source === null && !SOURCELESS.has(message.command))) badLine = `a line without a source or command: ${JSON.stringify(line)}`;
}

/** A registered client, made again when the last one was closed (QUIT, ERROR, KILL are fine). */
async function registeredClient(): Promise<LineClient> {
  if (client && !client.closed) return client;
  const fresh = await LineClient.connect(port);
  fresh.onLine = checkServerLine;
  const nick = `fz${(nicks++).toString(36)}`;
  // Every other client takes every capability the server offers (tags, labels, batches,
  // multiline, chathistory…), so the inputs reach what only such clients see.
  if (nicks % 2 === 0) {
    const offered: string[] = [];
    fresh.write("CAP LS 302\r\n");
    const listed = await fresh.waitFor((line) => {
      const ls = / CAP \S+ LS (\* )?:?(.*)$/.exec(line);
      if (ls) offered.push(...ls[2]!.split(" ").map((cap) => cap.split("=")[0]!));
      return ls !== null && ls[1] === undefined;
    }, PONG_WAIT_MS);
    invariant(listed === "line", `CAP LS went unanswered: ${listed}`);
    fresh.write(`CAP REQ :${offered.filter((cap) => cap !== "").join(" ")}\r\nCAP END\r\n`);
  }
  fresh.write(`NICK ${nick}\r\nUSER fuzz 0 * :Fuzz client\r\n`);
  const outcome = await fresh.waitFor((line) => / 00[14] /.test(line), PONG_WAIT_MS);
  invariant(outcome === "line", `a new client (${nick}) could not register: ${outcome}`);
  client = fresh;
  return fresh;
}

async function checkAcceptsConnection(): Promise<void> {
  const probe = await LineClient.connect(port);
  try {
    probe.write("PING :alive\r\n");
    const outcome = await probe.waitFor(() => true, PONG_WAIT_MS);
    invariant(outcome === "line", `the server no longer answers a new connection (${outcome})`);
  } finally {
    probe.close();
  }
}

/**
 * IRC command dispatch in a real server: the input goes as it is to one registered
 * client's connection, followed by a PING that must get its PONG (the connection did not
 * hang, and closing it with QUIT or an error is fine). Every line the server sends is
 * well formed (a source, a command, at most 512 bytes without its tags). Nothing may throw anywhere in the
 * server (the server logs a command that throws; that is a finding too), and the server
 * keeps answering new connections.
 */
export async function runIrcDispatch(input: Buffer): Promise<void> {
  const connection = await registeredClient();
  const token = `fuzz-${++inputs}`;
  connection.write(Buffer.concat([input, Buffer.from(`\r\nPING :${token}\r\n`)]));
  const outcome = await connection.waitFor((line) => line.includes(" PONG ") && line.endsWith(token), PONG_WAIT_MS);
  invariant(outcome !== "timeout", `no PONG within ${PONG_WAIT_MS} ms after the input: the connection hangs`);
  if (outcome === "closed") client = null;
  const bad = badLine;
  badLine = null;
  invariant(bad === null, `the server sent ${bad}`);
  fuzzServer!.checkLog();
  if (inputs % ACCEPT_CHECK_EVERY === 0) await checkAcceptsConnection();
}

export const ircDispatch: FuzzTarget = {
  name: "irc-dispatch",
  description: "IRC commands sent by a registered client to a real server (PONG, no error, still accepting)",
  dictionary: IRC_TOKENS,
  maxLength: 4096,
  stateful: true,
  async setup() {
    fuzzServer = await startFuzzServer({ irc: true });
    port = fuzzServer.server.irc.plain[0]!.port;
    inputs = 0;
  },
  run: runIrcDispatch,
  async teardown() {
    client?.close();
    client = null;
    await fuzzServer?.stop();
    fuzzServer = null;
  },
};
