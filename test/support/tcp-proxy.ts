/**
 * A TCP forwarder the test controls, to cut a server off from what it connects to
 * (PostgreSQL) or to reach a loopback-only service from a network namespace.
 */
import net from "node:net";

/**
 * Forwards <listenHost, default 127.0.0.1>:<port> to a target. `cut()` destroys every open connection and
 * makes new ones fail at once (accepted, then destroyed); `stall()` is a network
 * partition instead: nothing moves on open connections and new ones are accepted but
 * never answered; `restore()` lets traffic through again (stalled new connections are dropped).
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  readonly #held = new Set<net.Socket>();
  #mode: "open" | "cut" | "stalled" = "open";

  private constructor(
    server: net.Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  static async start(targetHost: string, targetPort: number, listenHost = "127.0.0.1"): Promise<TcpProxy> {
    let self: TcpProxy | null = null;
    const server = net.createServer((client) => {
      client.on("error", () => {});
      if (!self || self.#mode === "cut") {
        client.destroy();
        return;
      }
      if (self.#mode === "stalled") {
        const held = self.#held;
        held.add(client);
        client.on("close", () => held.delete(client));
        return;
      }
      const upstream = net.connect({ host: targetHost, port: targetPort });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      const pair = { client, upstream };
      const pairs = self.#pairs;
      pairs.add(pair);
      client.on("close", () => pairs.delete(pair));
    });
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen({ host: listenHost, port: 0 }, done);
    });
    self = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  /** Connections currently forwarded. */
  get connections(): number {
    return this.#pairs.size;
  }

  cut(): void {
    this.#mode = "cut";
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
  }

  stall(): void {
    this.#mode = "stalled";
    for (const { client, upstream } of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  restore(): void {
    const wasStalled = this.#mode === "stalled";
    this.#mode = "open";
    if (wasStalled) {
      for (const { client, upstream } of this.#pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    }
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((done) => this.#server.close(() => done()));
  }
}
