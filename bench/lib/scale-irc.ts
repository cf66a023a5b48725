/**
 * The IRC requests the scale study times, one at a time on one connection: a login
 * with the chathistory capability, CHATHISTORY requests (answered by one batch),
 * and REGISTER of a new account on a fresh connection.
 */
import { BenchClient } from "./client.js";
import { nowMicros, numericOf, type Hub } from "./load-client.js";
import type { Target } from "./scenarios.js";

/** What a history reader asks for: the batch tells where the answer ends. */
const READER_CAPS = "sasl draft/chathistory batch server-time message-tags";

const BATCH_END = /^(?:@\S+ )?:\S+ BATCH -/;
const FAIL_CHATHISTORY = / FAIL CHATHISTORY /;

/** A registered connection logged in to `account` with SASL PLAIN and the history capabilities. */
export async function readerLogin(target: Target, hub: Hub, index: number, nick: string, account: string, password: string, timeoutMs: number): Promise<BenchClient> {
  const client = await BenchClient.connect({ host: target.host, port: target.port, index, nick, hub, timeoutMs });
  try {
    const ack = client.waitFor((line) => numericOf(line) === "CAP" && / (ACK|NAK) /.test(line), timeoutMs, "CAP ACK");
    client.send(`CAP REQ :${READER_CAPS}\r\nNICK ${nick}\r\nUSER ${nick} 0 * :scale reader\r\n`);
    const ackLine = await ack;
    if (!ackLine.includes(" ACK ")) throw new Error(`capabilities refused: ${ackLine}`);
    const go = client.waitFor((line) => line.startsWith("AUTHENTICATE ") || /^90[2-8]$/.test(numericOf(line)), timeoutMs, "AUTHENTICATE +");
    client.send("AUTHENTICATE PLAIN\r\n");
    if ((await go) !== "AUTHENTICATE +") throw new Error("AUTHENTICATE PLAIN refused");
    const done = client.waitFor((line) => /^90[2-8]$/.test(numericOf(line)) && numericOf(line) !== "900", timeoutMs, "903");
    client.send(`AUTHENTICATE ${Buffer.from(`\0${account}\0${password}`, "utf8").toString("base64")}\r\n`);
    const doneLine = await done;
    if (numericOf(doneLine) !== "903") throw new Error(`SASL failed for ${account}: ${doneLine}`);
    const welcome = client.waitFor((line) => numericOf(line) === "001" || line.startsWith("ERROR"), timeoutMs, "001");
    client.send("CAP END\r\n");
    if (numericOf(await welcome) !== "001") throw new Error("registration refused");
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}

/** Sends one CHATHISTORY request and resolves at the end of its batch with the messages it held; rejects on FAIL. */
export async function chathistory(client: BenchClient, request: string, timeoutMs: number): Promise<number> {
  let messages = 0;
  const end = client.waitFor(
    (line) => {
      if (line.includes(" PRIVMSG ") || line.includes(" NOTICE ")) messages++;
      return BATCH_END.test(line) || FAIL_CHATHISTORY.test(line);
    },
    timeoutMs,
    request,
  );
  client.send(`${request}\r\n`);
  const line = await end;
  if (FAIL_CHATHISTORY.test(line)) throw new Error(`${request}: ${line}`);
  return messages;
}

/**
 * REGISTER of account `name` on a fresh registered connection; resolves to the µs from
 * sending REGISTER to its SUCCESS (connecting and NICK/USER are not counted).
 */
export async function timedRegister(target: Target, hub: Hub, index: number, name: string, password: string, timeoutMs: number): Promise<number> {
  const client = await BenchClient.open({ host: target.host, port: target.port, index, nick: `g${name}`, hub, timeoutMs });
  try {
    const reply = client.waitFor((line) => / REGISTER SUCCESS /.test(line) || / FAIL REGISTER /.test(line) || line.startsWith("ERROR"), timeoutMs, `REGISTER ${name}`);
    const t0 = nowMicros();
    client.send(`REGISTER ${name} * ${password}\r\n`);
    const line = await reply;
    const micros = nowMicros() - t0;
    if (!line.includes(" REGISTER SUCCESS ")) throw new Error(`REGISTER ${name} refused: ${line}`);
    return micros;
  } finally {
    client.destroy();
  }
}
