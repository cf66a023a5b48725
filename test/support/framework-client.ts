import IRC from "irc-framework";

type Events = IRC.ClientEvents;
type Name = keyof Events;

/** Events recorded from the moment of connecting, so a test can wait for one that already came. */
const RECORDED: readonly Name[] = [
  "registered",
  "join",
  "part",
  "quit",
  "kick",
  "nick",
  "privmsg",
  "notice",
  "tagmsg",
  "topic",
  "mode",
  "userlist",
  "whois",
  "invite",
  "away",
  "irc error",
  "nick in use",
  "users online",
];

export interface FrameworkOptions {
  host?: string;
  username?: string;
  gecos?: string;
  tls?: boolean;
  echo?: boolean;
  setname?: boolean;
  /** Extra caps to request on top of irc-framework's defaults. */
  caps?: readonly string[];
  /** Channel whose NAMES end marks "ready" (the server's auto-join); null to not wait. */
  readyChannel?: string | null;
}

/**
 * An irc-framework client, the independent implementation the tests drive the
 * server with, plus a log of its events and of the raw lines it received.
 */
export class FrameworkClient {
  readonly client: IRC.Client;
  /** Raw lines from the server, in order; waitRaw consumes matches. */
  readonly raw: string[] = [];
  readonly #log = new Map<Name, Array<Events[Name]>>();
  readonly #waiters: Array<{ name: Name; test: (event: Events[Name]) => boolean; resolve: (event: Events[Name]) => void }> = [];
  readonly #rawWaiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  #closed = false;
  readonly closed: Promise<void>;
  #syncCounter = 0;

  private constructor(readonly nick: string) {
    this.client = new IRC.Client();
    for (const name of RECORDED) {
      this.#log.set(name, []);
      this.client.on(name, (event: Events[typeof name]) => this.#record(name, event));
    }
    this.client.on("raw", ({ line: received, from_server }) => {
      if (!from_server) return;
      const line = received.replace(/[\r\n]+$/, "");
      const waiter = this.#rawWaiters.findIndex((w) => w.test(line));
      if (waiter !== -1) this.#rawWaiters.splice(waiter, 1)[0]!.resolve(line);
      else this.raw.push(line);
    });
    this.closed = new Promise((resolve) =>
      this.client.on("close", () => {
        this.#closed = true;
        resolve();
      }),
    );
  }

  /** Connects and resolves once registered (and, by default, once the auto-join of #general is complete). */
  static async connect(port: number, nick: string, options: FrameworkOptions = {}): Promise<FrameworkClient> {
    const self = new FrameworkClient(nick);
    if (options.caps && options.caps.length > 0) self.client.requestCap([...options.caps]);
    self.client.connect({
      host: options.host ?? "127.0.0.1",
      port,
      nick,
      username: options.username ?? nick,
      gecos: options.gecos ?? `${nick} test`,
      auto_reconnect: false,
      ping_interval: 0,
      ping_timeout: 0,
      ...(options.tls && { tls: true, rejectUnauthorized: false }),
      ...(options.echo && { enable_echomessage: true }),
      ...(options.setname && { enable_setname: true }),
    });
    await self.waitFor("registered");
    const ready = options.readyChannel === undefined ? "#general" : options.readyChannel;
    if (ready !== null) await self.waitFor("userlist", (e) => e.channel.toLowerCase() === ready.toLowerCase());
    return self;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #record<K extends Name>(name: K, event: Events[K]): void {
    const index = this.#waiters.findIndex((w) => w.name === name && w.test(event));
    if (index !== -1) {
      this.#waiters.splice(index, 1)[0]!.resolve(event);
      return;
    }
    this.#log.get(name)!.push(event);
  }

  /** Events of this kind received and not yet consumed by waitFor. */
  events<K extends Name>(name: K): ReadonlyArray<Events[K]> {
    return this.#log.get(name) as Array<Events[K]>;
  }

  /** Resolves with the first matching event, already received or still to come, and consumes it. */
  waitFor<K extends Name>(name: K, predicate: (event: Events[K]) => boolean = () => true, timeoutMs = 5000): Promise<Events[K]> {
    const log = this.#log.get(name) as Array<Events[K]>;
    const index = log.findIndex(predicate);
    if (index !== -1) return Promise.resolve(log.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        name,
        test: predicate as (event: Events[Name]) => boolean,
        resolve: (event: Events[Name]) => {
          clearTimeout(timer);
          resolve(event as Events[K]);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.nick}: timed out waiting for '${name}'; raw lines:\n${this.raw.slice(-30).join("\n")}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves with the first matching raw server line, already received or still to come, and consumes it. */
  waitRaw(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const test = (line: string): boolean => pattern.test(line);
    const index = this.raw.findIndex(test);
    if (index !== -1) return Promise.resolve(this.raw.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#rawWaiters.splice(this.#rawWaiters.indexOf(waiter), 1);
        reject(new Error(`${this.nick}: timed out waiting for ${String(pattern)}; raw lines:\n${this.raw.slice(-30).join("\n")}`));
      }, timeoutMs);
      this.#rawWaiters.push(waiter);
    });
  }

  /**
   * A round trip to the server: everything the server wrote to us before it
   * handled this PING has been received (and its events emitted) when this resolves.
   */
  async sync(): Promise<void> {
    const token = `sync-${this.nick}-${++this.#syncCounter}`;
    this.client.raw("PING", token);
    await this.waitRaw(new RegExp(` PONG \\S+ :?${token}$`));
  }

  /** Sends QUIT and waits for the connection to close (at most 2 s). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.client.quit("test done");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }
}

/** Connects several clients one after another (so join order is deterministic). */
export async function connectMany(port: number, nicks: readonly string[], options: FrameworkOptions = {}): Promise<FrameworkClient[]> {
  const clients: FrameworkClient[] = [];
  for (const nick of nicks) clients.push(await FrameworkClient.connect(port, nick, options));
  return clients;
}

export async function closeAll(clients: ReadonlyArray<{ close(): unknown } | undefined>): Promise<void> {
  await Promise.all(clients.map((client) => client?.close()));
}
