/**
 * Logging in from raw clients: AUTHENTICATE split into 400-byte chunks as the
 * IRCv3 SASL spec says, SASL PLAIN, and account creation through REGISTER.
 */
import type { RawClient } from "./raw-client.js";
import type { AccountsFixture } from "./account-server.js";
import { parseLine, type Line } from "./irc-lines.js";

/** The server's "go on" (or a challenge): `AUTHENTICATE <data>` without a prefix. */
export const AUTHENTICATE_LINE = /^(?:@\S+ )?(?::\S+ )?AUTHENTICATE (\S+)$/;

/** Where an exchange ends: success, failure, too long, aborted, already. */
export const SASL_END = / (903|904|905|906|907) /;

export function plainPayload(account: string, password: string, authzid = ""): string {
  return Buffer.from(`${authzid}\0${account}\0${password}`, "utf8").toString("base64");
}

/** Sends base64 `data` as AUTHENTICATE lines of 400 bytes; a final `+` when the last one was full (or there was nothing). */
export function sendAuthenticateData(client: RawClient, data: string): number {
  let lines = 0;
  for (let i = 0; i < data.length; i += 400) {
    client.send(`AUTHENTICATE ${data.slice(i, i + 400)}`);
    lines++;
  }
  if (data.length % 400 === 0) {
    client.send("AUTHENTICATE +");
    lines++;
  }
  return lines;
}

/** Starts `mechanism` and waits for the server's first `AUTHENTICATE` line (its data), or for a failure numeric. */
export async function startMechanism(client: RawClient, mechanism: string): Promise<{ data: string } | { end: Line }> {
  client.send(`AUTHENTICATE ${mechanism}`);
  const line = await client.waitFor((raw) => AUTHENTICATE_LINE.test(raw) || SASL_END.test(raw));
  const match = AUTHENTICATE_LINE.exec(line);
  return match ? { data: match[1]! } : { end: parseLine(line) };
}

/** A whole SASL PLAIN exchange; resolves with the numeric that ended it (903 on success). */
export async function saslPlain(client: RawClient, account: string, password: string, authzid = ""): Promise<Line> {
  const started = await startMechanism(client, "PLAIN");
  if ("end" in started) return started.end;
  sendAuthenticateData(client, plainPayload(account, password, authzid));
  return parseLine(await client.waitFor(SASL_END, 10_000));
}

/**
 * Connects, negotiates `sasl` (plus `caps`), logs in with PLAIN before registering and
 * registers as `nick`; resolves with the client (registered, #general joined) and the SASL result.
 */
export async function connectWithPlain(
  fx: AccountsFixture,
  nick: string,
  account: string,
  password: string,
  options: { caps?: readonly string[]; tls?: boolean; localAddress?: string } = {},
): Promise<{ client: RawClient; result: Line }> {
  const client = await fx.rawConnect(options);
  client.send("CAP LS 302");
  client.send(`CAP REQ :${["sasl", ...(options.caps ?? [])].join(" ")}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick} test`);
  await client.waitFor(/ CAP \S+ ACK /);
  const result = await saslPlain(client, account, password);
  client.send("CAP END");
  await client.waitFor(/ 001 /);
  await client.waitFor(/ 366 \S+ #general /);
  return { client, result };
}

/**
 * Creates an account through the server (IRCv3 REGISTER from a client whose nick is
 * the account name). The client stays connected and logged in unless `quit`.
 */
export async function registerAccount(fx: AccountsFixture, name: string, password: string, options: { quit?: boolean; caps?: readonly string[] } = {}): Promise<RawClient> {
  const client = await fx.raw(name, { caps: options.caps ?? [] });
  client.send(`REGISTER * * :${password}`);
  const reply = await client.waitFor(/ (REGISTER SUCCESS|FAIL REGISTER) /, 10_000);
  if (!/ REGISTER SUCCESS /.test(reply)) throw new Error(`could not register ${name}: ${reply}`);
  await client.waitFor(/ 900 /);
  if (options.quit) {
    client.send("QUIT :bye");
    await client.closed;
  }
  return client;
}
