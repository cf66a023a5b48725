import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { startServer, type RunningServer } from "../../src/server.js";

export interface TestServer {
  readonly server: RunningServer;
  readonly dataDir: string;
  /** Port of the first plain IRC listener. */
  readonly port: number;
  /** Port of the first TLS IRC listener, or 0 when there is none. */
  readonly tlsPort: number;
  /** Port of the first HTTP listener, or 0 when HTTP is off (the default here: pass `http.listen` to turn it on). */
  readonly httpPort: number;
  /** Port of the first FTP listener, or 0 when FTP is off (the default here: pass `ftp.listen` to turn it on). */
  readonly ftpPort: number;
  stop(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/**
 * Starts the real server on an ephemeral loopback port with a fresh data directory.
 * `irc` settings merge over test defaults (flood control off unless a test turns it on);
 * HTTP is off unless a test gives `http.listen` (e.g. ["127.0.0.1:0"]).
 */
export async function startTestServer(input: DeepPartial<ConfigInput> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-test-"));
  const tree = {
    ...input,
    dataDir,
    log: { level: "silent", ...input.log },
    http: { listen: [], ...input.http },
    ftp: { listen: [], ...input.ftp },
    // Tests create many accounts from 127.0.0.1; the tests of this limit set it themselves.
    accounts: { registrationsPerAddressPerHour: 0, ...input.accounts },
    irc: {
      listen: ["127.0.0.1:0"],
      tlsListen: [],
      ...input.irc,
      flood: { enabled: false, ...input.irc?.flood },
    },
  };
  let server: RunningServer;
  try {
    const config = validateConfig(tree, "test");
    server = await startServer(config, { log: pino({ level: "silent" }), reload: async () => config });
  } catch (error) {
    // A server that refuses to start (the tests of bad settings) leaves no directory behind either.
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    server,
    dataDir,
    port: server.irc.plain[0]?.port ?? 0,
    tlsPort: server.irc.tls[0]?.port ?? 0,
    httpPort: server.http[0]?.port ?? 0,
    ftpPort: server.ftp[0]?.port ?? 0,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
