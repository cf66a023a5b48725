/**
 * curl as the HTTP client of the files tests: the real command-line client people
 * use to upload and download, run without a shell. Each call writes the response
 * headers and body to files in a temporary folder, read back here.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult } from "./ftp-client.js";

export interface CurlReply {
  readonly status: number;
  /** The final response's headers, names lower-cased (a 100 Continue before it is skipped). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  readonly result: RunResult;
}

let counter = 0;

/** Runs curl with `args` (plus -sS and the header/body capture); never rejects on an HTTP error status. */
export async function curl(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CurlReply> {
  const dir = await mkdtemp(join(tmpdir(), `cmy-curl-${++counter}-`));
  try {
    const headerFile = join(dir, "headers");
    const bodyFile = join(dir, "body");
    const result = await run("curl", ["-sS", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", ...args], { timeoutMs: options.timeoutMs ?? 60_000 });
    const status = Number(result.stdout.trim().slice(-3));
    const rawHeaders = await readFile(headerFile, "latin1").catch(() => "");
    // Each response (100 Continue, then the final one) starts with a status line: keep the last block.
    const blocks = rawHeaders.split(/\r?\n\r?\n/).filter((block) => block.startsWith("HTTP/"));
    const headers = new Map<string, string>();
    for (const line of (blocks.at(-1) ?? "").split(/\r?\n/).slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const body = await readFile(bodyFile).catch(() => Buffer.alloc(0));
    return { status, headers, body, result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function bearer(token: string): string[] {
  return ["-H", `Authorization: Bearer ${token}`];
}
