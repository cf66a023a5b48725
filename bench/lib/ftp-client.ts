/**
 * A minimal FTP client on node:net and node:tls for ftp-many: one control
 * connection per client, passive mode (EPSV), binary type, RETR into a byte
 * counter; FTPS as curl --ssl-reqd does it (AUTH TLS, PBSZ 0, PROT P, the data
 * connections TLS too, resuming the control connection's TLS session when the
 * server issued one). No certificate check: the benchmark's certificates are self-signed.
 *
 * Why not curl: curl 7.88 sometimes starts the passive data connection only after
 * a 1 s poll time-out ("Connecting to ... port N", then "Trying ..." 1.001 s later
 * in `curl -v --trace-time`), when the EPSV reply is already waiting as it reads it,
 * which happens often with 50 curl processes sharing one CPU. That stalls whole
 * clients for a second against either server and measures curl, not the server.
 */
import net, { type Socket } from "node:net";
import tls, { type TLSSocket } from "node:tls";

export interface Reply {
  readonly code: number;
  readonly text: string;
}

export interface FtpClientOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly tls: boolean;
  readonly timeoutMs: number;
}

/** One logged-in control connection. */
export class FtpClient {
  #socket: Socket;
  #buffer = "";
  /** Replies that arrived with nobody waiting yet. */
  #replies: Reply[] = [];
  #waiters: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }> = [];
  #pendingLines: string[] = [];
  #error: Error | null = null;
  #session: Buffer | undefined;

  private constructor(
    socket: Socket,
    private readonly options: FtpClientOptions,
  ) {
    this.#socket = socket;
    this.#attach(socket);
  }

  static async connect(options: FtpClientOptions): Promise<FtpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = net.connect({ host: options.host, port: options.port });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    socket.setNoDelay(true);
    const client = new FtpClient(socket, options);
    await client.expect(await client.next(), [220], "greeting");
    if (options.tls) {
      await client.expect(await client.send("AUTH TLS"), [234], "AUTH TLS");
      await client.#upgrade();
    }
    const user = await client.send(`USER ${options.user}`);
    if (user.code === 331) await client.expect(await client.send(`PASS ${options.password}`), [230], "PASS");
    else await client.expect(user, [230], "USER");
    if (options.tls) {
      await client.expect(await client.send("PBSZ 0"), [200], "PBSZ");
      await client.expect(await client.send("PROT P"), [200], "PROT P");
    }
    await client.expect(await client.send("TYPE I"), [200], "TYPE I");
    return client;
  }

  #attach(socket: Socket): void {
    socket.on("data", (chunk: Buffer) => this.#receive(chunk.toString("latin1")));
    socket.on("error", (error) => this.#fail(error));
    socket.on("close", () => this.#fail(new Error("control connection closed")));
  }

  async #upgrade(): Promise<void> {
    const raw = this.#socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("error");
    raw.removeAllListeners("close");
    const secured = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: raw, rejectUnauthorized: false });
      s.once("secureConnect", () => resolve(s));
      s.once("error", reject);
    });
    secured.on("session", (session: Buffer) => (this.#session = session));
    this.#socket = secured;
    this.#attach(secured);
  }

  #receive(text: string): void {
    this.#buffer += text;
    let end: number;
    while ((end = this.#buffer.indexOf("\n")) !== -1) {
      const line = this.#buffer.slice(0, end).replace(/\r$/, "");
      this.#buffer = this.#buffer.slice(end + 1);
      this.#pendingLines.push(line);
      // A reply ends with "ddd " (a multi-line one starts with "ddd-" and ends with the same code and a space).
      if (/^\d{3}( |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.#pendingLines.join("\n") };
        this.#pendingLines = [];
        const waiter = this.#waiters.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve(reply);
        } else this.#replies.push(reply);
      }
    }
  }

  #fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** The next reply. */
  next(): Promise<Reply> {
    const ready = this.#replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.findIndex((w) => w.timer === timer);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(new Error(`no reply within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.#waiters.push({ resolve, reject, timer });
    });
  }

  send(line: string): Promise<Reply> {
    this.#socket.write(`${line}\r\n`);
    return this.next();
  }

  async expect(reply: Reply, codes: readonly number[], what: string): Promise<Reply> {
    if (!codes.includes(reply.code)) throw new Error(`${what}: ${reply.text.split("\n")[0]}`);
    return reply;
  }

  /** EPSV, connect, RETR `name`; resolves with the byte count once the 226 (or 250) has arrived. */
  async retrieve(name: string): Promise<number> {
    const epsv = await this.expect(await this.send("EPSV"), [229], "EPSV");
    const match = /\(\|\|\|(\d+)\|\)/.exec(epsv.text);
    if (!match) throw new Error(`EPSV: cannot parse ${epsv.text}`);
    const raw = await new Promise<Socket>((resolve, reject) => {
      const s = net.connect({ host: this.options.host, port: Number(match[1]) });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    this.#socket.write(`RETR ${name}\r\n`);
    const data: Socket = this.options.tls ? tls.connect({ socket: raw, rejectUnauthorized: false, ...(this.#session && { session: this.#session }) }) : raw;
    let bytes = 0;
    const received = new Promise<void>((resolve, reject) => {
      data.on("data", (chunk: Buffer) => (bytes += chunk.length));
      data.once("end", () => resolve());
      data.once("error", reject);
      const timer = setTimeout(() => reject(new Error("data connection timed out")), this.options.timeoutMs);
      data.once("close", () => clearTimeout(timer));
    });
    try {
      await this.expect(await this.next(), [125, 150], "RETR");
      await received;
    } finally {
      data.destroy();
    }
    await this.expect(await this.next(), [226, 250], "RETR completion");
    return bytes;
  }

  async quit(): Promise<void> {
    try {
      await Promise.race([this.send("QUIT"), new Promise((resolve) => setTimeout(resolve, 1000))]);
    } catch {
      // Closing anyway.
    }
    this.#socket.destroy();
  }

  close(): void {
    this.#socket.destroy();
  }
}
