/**
 * Python's ftplib, the FTP client of a stock Python, against the real server:
 * ABOR during a RETR as ftplib, RFC 959 §4.1.3 and lftp send it (Telnet IP and
 * Synch with TCP urgent data, which Node cannot send, hence Python), ALLO, and
 * FTPS with PROT P, where ftplib.FTP_TLS fails any data connection the server
 * closes without a TLS close_notify. Needs python3 (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { expectSuccess, run } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const SCRIPTS = fileURLToPath(new URL("../support/ftplib/", import.meta.url));
/** Far more than loopback socket buffers hold, so the RETR is still running at ABOR. */
const BIG_FILE_BYTES = 48 * 1024 * 1024;

let server: FtpTestServer;

before(async () => {
  const python = await run("python3", ["--version"]);
  assert.equal(python.code, 0, "these tests drive Python's ftplib: install python3 (.ci/run does)");
  server = await startFtpServer();
  const home = await server.home();
  await writeFile(join(home, "big.bin"), Buffer.alloc(BIG_FILE_BYTES, 0x5a));
  await writeFile(join(home, "small.txt"), "hello from ftplib\n");
});
after(() => server.stop());

async function python<T>(script: string, file: string): Promise<T> {
  const result = await run("python3", [join(SCRIPTS, script), String(server.ftpPort), USER, PASSWORD, file], { timeoutMs: 60_000 });
  expectSuccess(result, `python3 ${script}`);
  return JSON.parse(result.stdout) as T;
}

test("ABOR during a RETR, sent by ftplib, the RFC 959 way and lftp's way: 426 then 226, no 500; ALLO answers 202", async () => {
  const replies = await python<Record<"ftplib" | "rfc959" | "lftp", string[]> & { allo: string }>("abort.py", "big.bin");
  for (const way of ["ftplib", "rfc959", "lftp"] as const) {
    const codes = replies[way].map((reply) => reply.slice(0, 3));
    assert.deepEqual(codes, ["426", "226", "200"], `${way}: ${JSON.stringify(replies[way])}`);
  }
  assert.match(replies.allo, /^202 /);
});

test("FTPS with PROT P: ftplib.FTP_TLS lists with NLST, MLSD and LIST and retrieves (every data connection ends with close_notify)", async () => {
  const out = await python<Record<string, { ok?: unknown; error?: string }>>("tls-listings.py", "small.txt");
  assert.deepEqual(out.nlst, { ok: ["big.bin", "small.txt"] });
  assert.deepEqual(out.mlsd, { ok: ["big.bin", "small.txt"] });
  assert.deepEqual(out.list, { ok: 2 });
  assert.deepEqual(out.retr, { ok: "hello from ftplib\n" });
});
