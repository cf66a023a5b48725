/**
 * A client that drops a download by resetting its data connection (a killed lftp, `curl -r`,
 * a crash) fails that transfer alone: 426 on its control connection, and the server, which
 * also serves every other FTP, IRC and HTTP user, goes on. An unlistened 'error' event on the
 * data socket used to end the whole process.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FtpControl, connectData } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
before(async () => {
  server = await startFtpServer();
  // Larger than the socket buffers on both sides: the server is still writing when the reset comes.
  await writeFile(join(await server.home(), "big.bin"), randomBytes(24 * 1024 * 1024));
});
after(() => server.stop());

for (const mode of ["EPSV", "PASV"] as const) {
  test(`a data connection reset during a binary RETR (${mode}) gets 426, and the server goes on serving`, async () => {
    const control = await FtpControl.connect(server.ftpPort);
    try {
      await control.login(USER, PASSWORD);
      assert.equal((await control.command("TYPE I")).code, 200);
      const data = await connectData(await control.passive(mode), "127.0.0.1");
      control.send("RETR big.bin");
      assert.equal((await control.read()).code, 150);
      // Some bytes arrive, then the client goes away without a FIN.
      await new Promise<void>((resolve) => data.once("data", () => resolve()));
      data.pause();
      data.resetAndDestroy();
      const final = await control.read(10_000);
      assert.equal(final.code, 426, `${final.code} ${final.text}`);
      assert.equal((await control.command("NOOP")).code, 200, "the same session goes on");
    } finally {
      control.close();
    }
    const next = await FtpControl.connect(server.ftpPort);
    try {
      await next.login(USER, PASSWORD);
      assert.equal((await next.command("PWD")).code, 257, "a new session is served");
    } finally {
      next.close();
    }
  });
}
