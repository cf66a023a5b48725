import type { TestContext } from "node:test";
import { startTestServer, type TestServer } from "./test-server.js";
import { RawClient } from "./raw-client.js";
import { FrameworkClient, type FrameworkOptions } from "./framework-client.js";

type ServerConfig = Parameters<typeof startTestServer>[0];

/**
 * One real server for one test, and every client the test opens on it; all of
 * them are closed (clients first) when the test ends, whatever its outcome.
 */
export interface Fixture {
  readonly server: TestServer;
  readonly port: number;
  /** An irc-framework client, registered and (by default) done auto-joining #general; `port` defaults to the plain one. */
  connect(nick: string, options?: FrameworkOptions & { port?: number }): Promise<FrameworkClient>;
  /** Several irc-framework clients, one after another. */
  connectMany(nicks: readonly string[], options?: FrameworkOptions): Promise<FrameworkClient[]>;
  /** A raw client that has registered (welcome burst over). */
  raw(nick: string, caps?: readonly string[], host?: string): Promise<RawClient>;
  /** A raw client that has only connected. */
  rawConnect(host?: string, port?: number, tls?: boolean): Promise<RawClient>;
  /** Closes `client` with the others when the test ends. */
  track<C extends FrameworkClient | RawClient>(client: C): C;
}

export async function setup(t: TestContext, config: ServerConfig = {}): Promise<Fixture> {
  const server = await startTestServer(config);
  const opened: Array<FrameworkClient | RawClient> = [];
  t.after(async () => {
    await Promise.all(
      opened.map(async (client) => {
        if (client instanceof RawClient) {
          client.close();
          await client.closed;
        } else await client.close();
      }),
    );
    await server.stop();
  });
  const fixture: Fixture = {
    server,
    port: server.port,
    async connect(nick, options = {}) {
      const client = await FrameworkClient.connect(options.port ?? server.port, nick, options);
      opened.push(client);
      return client;
    },
    async connectMany(nicks, options = {}) {
      const clients: FrameworkClient[] = [];
      for (const nick of nicks) clients.push(await fixture.connect(nick, options));
      return clients;
    },
    async raw(nick, caps = [], host = "127.0.0.1") {
      const client = await RawClient.register(server.port, nick, host, caps);
      opened.push(client);
      return client;
    },
    async rawConnect(host = "127.0.0.1", port = server.port, tls = false) {
      const client = await RawClient.connect(port, host, { tls });
      opened.push(client);
      return client;
    },
    track(client) {
      opened.push(client);
      return client;
    },
  };
  return fixture;
}

/** Sends PING and waits for its PONG: every reply to earlier lines has arrived by then. */
let rawSyncCounter = 0;
export async function rawSync(client: RawClient): Promise<void> {
  const token = `rawsync${++rawSyncCounter}`;
  client.send(`PING ${token}`);
  await client.waitFor(new RegExp(` PONG \\S+ :?${token}$`));
}

/** Lines received and not yet consumed that match. */
export function unconsumed(client: RawClient, pattern: RegExp): string[] {
  return client.lines.filter((line) => pattern.test(line));
}
