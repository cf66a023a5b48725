/**
 * Our server for the scale study: started on a given data directory (SQLite) or
 * database URL (PostgreSQL), with IRC and the HTTP API on free loopback ports, limits
 * and flood control out of the way (as lib/servers.ts does for the other benches),
 * logging at info in JSON so the retention pass's "old messages pruned" line can be read.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, launch, OUR_ENTRY, writeBenchConfig, type ServerHandle } from "./servers.js";

export interface ScaleServerOptions {
  readonly cpu: number | null;
  /** Where the config and log go. */
  readonly baseDir: string;
  /** SQLite: the data directory holding (or to hold) cmymessage.db. Always set: files, keys and TLS live there too. */
  readonly dataDir: string;
  /** "" = SQLite; a postgres:// URL with the schema's search_path otherwise. */
  readonly databaseUrl: string;
  /** history.maxAgeDays: 0 = no retention; otherwise a pass runs at start. */
  readonly maxAgeDays: number;
  readonly entry?: string;
}

export interface ScaleServer extends ServerHandle {
  readonly httpPort: number;
  /** Date.now() just before the process was spawned. */
  readonly spawnedAt: number;
}

export async function startScaleServer(options: ScaleServerOptions): Promise<ScaleServer> {
  const dir = mkdtempSync(join(options.baseDir, "ours-"));
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const httpPort = await freePort();
  const configFile = writeBenchConfig(dir, {
    dataDir: options.dataDir,
    ircPort: port,
    httpPort,
    history: { enabled: true, maxAgeDays: options.maxAgeDays },
    databaseUrl: options.databaseUrl,
    logLevel: "info",
  });
  const spawnedAt = Date.now();
  const handle = await launch("ours", process.execPath, [options.entry ?? OUR_ENTRY, "serve", "--config", configFile], port, dir, options.cpu);
  return { ...handle, httpPort, spawnedAt };
}

export interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** The server's JSON log lines whose msg is `msg`. */
export function logLines(logFile: string, msg: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  const found: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes(msg)) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.msg === msg) found.push(parsed);
    } catch {
      // a line cut by a concurrent write: read again later
    }
  }
  return found;
}
