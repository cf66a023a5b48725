/**
 * A raw IRC client for load generation over TCP: one socket, no client library,
 * CRLF-terminated lines (what it shares with the WebSocket client, and the two
 * modes, setup and measuring: load-client.ts). While measuring it scans every
 * complete line of a read at once, for the marker and for PINGs to answer.
 */
import net from "node:net";
import { LoadClient, whenReady, type OpenOptions } from "./load-client.js";

const PING = Buffer.from("PING ");
const LF = 0x0a;
const CR = 0x0d;

export class BenchClient extends LoadClient {
  private constructor(options: OpenOptions, socket: net.Socket) {
    super(options.index, options.nick, socket, options.hub);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
  }

  /** Connects without registering: the caller speaks first (CAP, AUTHENTICATE, NICK/USER ...). */
  static async connect(options: OpenOptions): Promise<BenchClient> {
    const socket = net.connect({ host: options.host, port: options.port });
    const client = new BenchClient(options, socket);
    await whenReady(socket, options.timeoutMs, "connect", (done) => socket.once("connect", () => done()));
    return client;
  }

  /** Connects and registers (NICK/USER), resolving at RPL_WELCOME (001). */
  static async open(options: OpenOptions): Promise<BenchClient> {
    const client = await BenchClient.connect(options);
    await client.register("bench client", options.timeoutMs);
    return client;
  }

  send(data: string): void {
    if (!this.closed) this.socket.write(data);
  }

  /** Complete lines end at the last LF. */
  protected consume(data: Buffer): number {
    const end = data.lastIndexOf(LF);
    if (end === -1) return 0;
    if (this.measuring) {
      this.hub.measuredReads++;
      this.scanMarks(data, end);
      this.#answerPings(data, end);
    } else this.#lines(data.toString("latin1", 0, end + 1));
    return end + 1;
  }

  /** Measuring mode: answer the PINGs among the complete lines data[0..end]. */
  #answerPings(data: Buffer, end: number): void {
    let ping = data.indexOf(PING);
    while (ping !== -1 && ping < end) {
      if (ping === 0 || data[ping - 1] === LF) {
        let stop = ping;
        while (stop < end && data[stop] !== CR && data[stop] !== LF) stop++;
        this.send(`PONG ${data.toString("latin1", ping + PING.length, stop)}\r\n`);
      }
      ping = data.indexOf(PING, ping + 1);
    }
  }

  /** Setup mode: split the complete lines. */
  #lines(text: string): void {
    let start = 0;
    while (start < text.length) {
      let stop = text.indexOf("\n", start);
      if (stop === -1) stop = text.length;
      this.line(text.charCodeAt(stop - 1) === CR ? text.slice(start, stop - 1) : text.slice(start, stop));
      start = stop + 1;
    }
  }
}
