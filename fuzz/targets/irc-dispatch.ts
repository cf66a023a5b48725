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

/** A registered client, made again when the last one was closed (QUIT, ERROR, KILL are fine). */
async function registeredClient(): Promise<LineClient> {
  if (client && !client.closed) return client;
  const fresh = await LineClient.connect(port);
  const nick = `fz${(nicks++).toString(36)}`;
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
 * hang, and closing it with QUIT or an error is fine). Nothing may throw anywhere in the
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
