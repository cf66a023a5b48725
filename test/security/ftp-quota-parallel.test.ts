/**
 * The byte quota against uploads that replace a file, over FTP: in "delete" mode the
 * file replaced stays on disk beside each upload's hidden temporary file until the
 * rename, so parallel STORs of one name must each hold every byte they write (measured
 * on disk, temporary files included, while the uploads are held open). In "keep" mode a
 * limit keeps the bytes within it (resumable), and a new file that got none is not left.
 * Every test ends with the usage the database records equal to what is on disk.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { isTemporaryUpload } from "../../src/core/files/temporary-upload.js";
import { measureUsage, type Usage } from "../../src/core/files/usage.js";
import { openStore } from "../../src/store/database.js";
import { FtpControl, connectData, startUpload, type StreamingUpload } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";
import { waitFor } from "../support/wait.js";

const sessions = new FtpSessions();
afterEach(() => {
  sessions.closeAll();
});

function loggedIn(server: FtpTestServer, account = USER): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort, { user: account, binary: true });
}

/** The account's usage as the database records it, once no upload holds a reservation any more. */
async function recordedUsage(server: FtpTestServer, account: string): Promise<Usage> {
  const store = await openStore({ url: "", dataDir: server.dataDir, migrate: false });
  try {
    const reservations = async (): Promise<number> => (await store.db.selectFrom("file_reservations").select("id").where("account", "=", account).execute()).length;
    await waitFor(async () => (await reservations()) === 0, { what: "no reservation left" });
    const row = await store.db.selectFrom("file_usage").select(["bytes", "files"]).where("account", "=", account).executeTakeFirstOrThrow();
    return { bytes: Number(row.bytes), files: Number(row.files) };
  } finally {
    await store.close();
  }
}

/** What the database records is what a fresh walk of the folder finds, and no temporary file is left. */
async function assertLedgerMatchesDisk(server: FtpTestServer, account = USER): Promise<void> {
  const home = await server.home(account);
  assert.deepEqual((await readdir(home)).filter(isTemporaryUpload), [], "a temporary file was left behind");
  assert.deepEqual(await recordedUsage(server, account), await measureUsage(home), "the recorded usage is not what is on disk");
}

describe('parallel uploads replacing one file (interruptedUploads: "delete")', () => {
  const QUOTA = 1_000_000;
  let server: FtpTestServer;
  let home: string;
  before(async () => {
    server = await startFtpServer({ files: { quotaBytes: QUOTA, interruptedUploads: "delete" }, limits: { connectionsPerIp: 64 } });
    home = await server.home();
  });
  after(() => server.stop());

  test("six STORs of one name held open never put more than files.quotaBytes on disk; those past it get 552", async () => {
    const control = await loggedIn(server);
    assert.equal((await control.transfer("STOR f.bin", randomBytes(400_000))).final.code, 226);
    // Each alone would fit beside f.bin (400 + 250 KB); two at once still do, a third does not.
    const [sessions, size] = [6, 250_000];
    const controls = await Promise.all(Array.from({ length: sessions }, () => loggedIn(server)));
    const uploads: Array<{ control: FtpControl; upload: StreamingUpload; cut: boolean }> = [];
    for (const each of controls) {
      const entry = { control: each, upload: await startUpload(each, "STOR f.bin"), cut: false };
      // Cut by the server: the upload was refused.
      entry.upload.closed.then(() => (entry.cut = true)).catch(() => {});
      uploads.push(entry);
    }
    await Promise.all(uploads.map(({ upload }) => upload.send(size)));
    // Held open: every upload is either cut (refused) or has all its bytes in its temporary file.
    await waitFor(
      async () => {
        const whole = [];
        for (const name of (await readdir(home)).filter(isTemporaryUpload)) {
          if ((await stat(join(home, name)).catch(() => null))?.size === size) whole.push(name);
        }
        return uploads.filter((u) => u.cut).length + whole.length === sessions;
      },
      { timeoutMs: 10_000, what: "every upload to be refused or to hold all its bytes" },
    );
    // (Not sampled while they cross: a refused upload gives its room back to the others at once,
    // and its temporary file is deleted a moment later.)
    const held = (await measureUsage(home)).bytes;
    assert.ok(held <= QUOTA, `${held} bytes on disk with the uploads held open (files.quotaBytes ${QUOTA})`);

    const refused = uploads.filter((u) => u.cut);
    const going = uploads.filter((u) => !u.cut);
    assert.ok(refused.length >= sessions - 2, `${refused.length} refused: at most two fit beside f.bin`);
    for (const { control: each } of refused) {
      const reply = await each.read(10_000);
      assert.equal(reply.code, 552, reply.lines.join(" | "));
      assert.match(reply.text, /quota/i);
    }
    for (const { control: each, upload } of going) {
      upload.data.end();
      assert.equal((await each.read(10_000)).code, 226);
    }
    assert.equal((await stat(join(home, "f.bin"))).size, size);
    await assertLedgerMatchesDisk(server);
    // And the room left is exactly the quota less what is stored: nothing was lost or counted twice.
    assert.equal((await control.transfer("STOR fill.bin", randomBytes(QUOTA - size))).final.code, 226);
    assert.equal((await control.transfer("STOR one-more.bin", Buffer.from("x"))).final.code, 552);
    await assertLedgerMatchesDisk(server);
  });
});

describe('limits in interruptedUploads: "keep"', () => {
  const QUOTA = 3_000_000;
  const MAX_FILE = 2_800_000;
  let server: FtpTestServer;
  before(async () => {
    server = await startFtpServer({ files: { quotaBytes: QUOTA, maxFileBytes: MAX_FILE, interruptedUploads: "keep" }, limits: { connectionsPerIp: 64 } });
  });
  after(() => server.stop());

  /** A new account of its own, logged in, and its folder: one test's files never fill another's quota. */
  async function freshAccount(name: string): Promise<{ control: FtpControl; home: string }> {
    await server.addUser(name, PASSWORD);
    return { control: await loggedIn(server, name), home: await server.home(name) };
  }

  test("a STOR replacing a file that crosses the quota keeps the bytes within it, and resumes once there is room", async () => {
    const { control, home } = await freshAccount("replacer");
    assert.equal((await control.transfer("STOR other.bin", randomBytes(500_000))).final.code, 226);
    assert.equal((await control.transfer("STOR k.bin", randomBytes(1_000_000))).final.code, 226);
    // Written in place: k.bin may grow to 2,500,000 bytes (the quota less other.bin).
    const content = randomBytes(2_700_000);
    const cut = await control.transfer("STOR k.bin", content);
    assert.equal(cut.final.code, 552, cut.final.lines.join(" | "));
    assert.match(cut.final.text, /quota/i);
    const kept = (await stat(join(home, "k.bin"))).size;
    assert.ok(kept > 1_000_000 && kept <= QUOTA - 500_000, `kept ${kept} bytes`);
    assert.ok((await readFile(join(home, "k.bin"))).equals(content.subarray(0, kept)), "what was kept is not the start of the upload");
    assert.equal((await control.command("SIZE k.bin")).text, String(kept));
    await assertLedgerMatchesDisk(server, "replacer");

    assert.equal((await control.command("DELE other.bin")).code, 250);
    assert.equal((await control.command(`REST ${kept}`)).code, 350);
    assert.equal((await control.transfer("STOR k.bin", content.subarray(kept))).final.code, 226);
    assert.ok((await readFile(join(home, "k.bin"))).equals(content));
    await assertLedgerMatchesDisk(server, "replacer");
  });

  test("REST n + STOR refused by files.maxFileBytes before its first byte is written leaves the file as it was (not cut at n)", async () => {
    const { control, home } = await freshAccount("rester");
    const content = randomBytes(MAX_FILE - 10);
    assert.equal((await control.transfer("STOR r.bin", content)).final.code, 226);
    assert.equal((await control.command(`REST ${MAX_FILE - 1000}`)).code, 350);
    const refused = await control.transfer("STOR r.bin", randomBytes(2000));
    assert.equal(refused.final.code, 552, refused.final.lines.join(" | "));
    assert.ok((await readFile(join(home, "r.bin"))).equals(content), "the file was cut or changed");
    await assertLedgerMatchesDisk(server, "rester");
    // A resume that fits still ends the file where its bytes end.
    assert.equal((await control.command("REST 100")).code, 350);
    assert.equal((await control.transfer("STOR r.bin", Buffer.from("tail"))).final.code, 226);
    assert.ok((await readFile(join(home, "r.bin"))).equals(Buffer.concat([content.subarray(0, 100), Buffer.from("tail")])));
    await assertLedgerMatchesDisk(server, "rester");
  });

  test("a new file past files.maxFileBytes: 552, the bytes within the limit kept", async () => {
    const { control, home } = await freshAccount("large");
    const content = randomBytes(MAX_FILE + 100_000);
    const cut = await control.transfer("STOR big.bin", content);
    assert.equal(cut.final.code, 552, cut.final.lines.join(" | "));
    assert.match(cut.final.text, /too large/i);
    const kept = (await stat(join(home, "big.bin"))).size;
    assert.ok(kept > 0 && kept <= MAX_FILE, `kept ${kept} bytes`);
    assert.ok((await readFile(join(home, "big.bin"))).equals(content.subarray(0, kept)));
    await assertLedgerMatchesDisk(server, "large");
  });

  test("a new file that gets no byte (refused at a full quota, or cut before the first) is not left behind", async () => {
    const { control, home } = await freshAccount("full");
    for (const name of ["full-1.bin", "full-2.bin"]) assert.equal((await control.transfer(`STOR ${name}`, randomBytes(QUOTA / 2))).final.code, 226, name);
    const refused = await control.transfer("STOR new.bin", Buffer.from("no room for this"));
    assert.equal(refused.final.code, 552, refused.final.lines.join(" | "));
    await assert.rejects(stat(join(home, "new.bin")), { code: "ENOENT" }, "an empty new.bin was left");
    assert.doesNotMatch((await control.transfer("NLST")).data.toString(), /new\.bin/);
    await assertLedgerMatchesDisk(server, "full");

    assert.equal((await control.command("DELE full-1.bin")).code, 250);
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("STOR empty.bin")).code, 150);
    data.resetAndDestroy();
    assert.equal((await control.read(10_000)).code, 426);
    await assert.rejects(stat(join(home, "empty.bin")), { code: "ENOENT" }, "an empty empty.bin was left");
    await assertLedgerMatchesDisk(server, "full");
  });
});
