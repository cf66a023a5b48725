/**
 * An independent FTP client library (basic-ftp) against the real server: its
 * MLSD and LIST parsers read what we send (names, sizes, dates, types), and
 * SIZE, MDTM, rename, remove, ensureDir, removeDir, append and TLS work.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Client, FileType, type FileInfo } from "basic-ftp";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let home: string;
const clients: Client[] = [];

const OLD = new Date(Date.UTC(2018, 0, 2, 3, 4, 5));
const RECENT = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3 * 24 * 3600 * 1000);

before(async () => {
  server = await startFtpServer();
  home = await server.home();
  await mkdir(join(home, "listing", "sub dir"), { recursive: true });
  await writeFile(join(home, "listing", "old.bin"), Buffer.alloc(123_456));
  await writeFile(join(home, "listing", "recent file.txt"), "recent");
  await writeFile(join(home, "listing", "empty"), "");
  await writeFile(join(home, "listing", ".hidden"), "h");
  await writeFile(join(home, "listing", "Ünïcødé.txt"), "u");
  await symlink("old.bin", join(home, "listing", "link"));
  await utimes(join(home, "listing", "old.bin"), OLD, OLD);
  await utimes(join(home, "listing", "recent file.txt"), RECENT, RECENT);
  await utimes(join(home, "listing", "sub dir"), OLD, OLD);
});
after(async () => {
  for (const client of clients) client.close();
  await server.stop();
});

async function connect(secure = false): Promise<Client> {
  const client = new Client(10_000);
  clients.push(client);
  await client.access({ host: "127.0.0.1", port: server.ftpPort, user: USER, password: PASSWORD, secure, secureOptions: { rejectUnauthorized: false } });
  return client;
}

function byName(list: readonly FileInfo[]): Map<string, FileInfo> {
  return new Map(list.map((info) => [info.name, info]));
}

async function download(client: Client, path: string, startAt = 0): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  await client.downloadTo(sink, path, startAt);
  return Buffer.concat(chunks);
}

describe("basic-ftp: listings", () => {
  test("MLSD: names, sizes, exact dates and types", async () => {
    const client = await connect();
    const list = byName(await client.list("listing"));
    assert.deepEqual([...list.keys()].sort(), [".hidden", "empty", "link", "old.bin", "recent file.txt", "sub dir", "Ünïcødé.txt"].sort());
    const old = list.get("old.bin")!;
    assert.equal(old.type, FileType.File);
    assert.equal(old.size, 123_456);
    assert.equal(old.modifiedAt?.getTime(), OLD.getTime());
    assert.equal(list.get("recent file.txt")!.modifiedAt?.getTime(), RECENT.getTime());
    assert.equal(list.get("sub dir")!.type, FileType.Directory);
    assert.equal(list.get("sub dir")!.modifiedAt?.getTime(), OLD.getTime());
    assert.equal(list.get("empty")!.size, 0);
    assert.notEqual(list.get("link")!.type, FileType.File);
    assert.equal(list.get("Ünïcødé.txt")!.size, 1);
  });

  test("LIST (ls -l form): names with spaces, sizes, dates with time or year, types, permissions", async () => {
    const client = await connect();
    client.availableListCommands = ["LIST -a", "LIST"];
    const list = byName(await client.list("listing"));
    assert.deepEqual([...list.keys()].sort(), [".hidden", "empty", "link", "old.bin", "recent file.txt", "sub dir", "Ünïcødé.txt"].sort());
    const old = list.get("old.bin")!;
    assert.equal(old.type, FileType.File);
    assert.equal(old.size, 123_456);
    assert.match(old.rawModifiedAt, /^Jan +2 +2018$/);
    assert.deepEqual(old.permissions, { user: 6, group: 4, world: 4 });
    const recent = list.get("recent file.txt")!;
    const hhmm = `${String(RECENT.getUTCHours()).padStart(2, "0")}:${String(RECENT.getUTCMinutes()).padStart(2, "0")}`;
    assert.match(recent.rawModifiedAt, new RegExp(`^[A-Z][a-z]{2} +${RECENT.getUTCDate()} ${hhmm}$`));
    assert.equal(list.get("sub dir")!.type, FileType.Directory);
    assert.equal(list.get("link")!.type, FileType.SymbolicLink);
  });

  test("listing a path outside the space is refused like a missing one", async () => {
    const client = await connect();
    await assert.rejects(client.list("../../../../etc"), /550/);
  });
});

describe("basic-ftp: files and directories", () => {
  test("upload, download (also from an offset), SIZE and MDTM", async () => {
    const client = await connect();
    const content = randomBytes(1024 * 1024 + 1);
    await client.uploadFrom(Readable.from([content]), "bf.bin");
    assert.ok((await readFile(join(home, "bf.bin"))).equals(content));
    assert.equal(await client.size("bf.bin"), content.length);
    assert.ok((await download(client, "bf.bin")).equals(content));
    assert.ok((await download(client, "bf.bin", 1000)).equals(content.subarray(1000)));
    assert.equal((await client.lastMod("listing/old.bin")).getTime(), OLD.getTime());
    await assert.rejects(client.size("listing"), /550/);
  });

  test("appendFrom adds to the end", async () => {
    const client = await connect();
    await client.uploadFrom(Readable.from([Buffer.from("head-")]), "ap.txt");
    await client.appendFrom(Readable.from([Buffer.from("tail")]), "ap.txt");
    assert.equal(await readFile(join(home, "ap.txt"), "utf8"), "head-tail");
  });

  test("rename, remove, and the errors for missing files", async () => {
    const client = await connect();
    await client.uploadFrom(Readable.from([Buffer.from("r")]), "ren-a.txt");
    await client.rename("ren-a.txt", "ren-b.txt");
    await assert.rejects(stat(join(home, "ren-a.txt")));
    assert.equal(await readFile(join(home, "ren-b.txt"), "utf8"), "r");
    await client.remove("ren-b.txt");
    await assert.rejects(stat(join(home, "ren-b.txt")));
    await assert.rejects(client.remove("ren-b.txt"), /550/);
    await assert.rejects(client.rename("nope", "x"), /550/);
  });

  test("ensureDir makes a path of directories and enters it; removeDir removes a tree", async () => {
    const client = await connect();
    await client.ensureDir("/made/by/ensure dir");
    assert.equal(await client.pwd(), "/made/by/ensure dir");
    assert.ok((await stat(join(home, "made", "by", "ensure dir"))).isDirectory());
    await client.uploadFrom(Readable.from([Buffer.from("x")]), "inside.txt");
    await client.ensureDir("/made/by");
    await client.cd("/");
    await client.removeDir("made");
    await assert.rejects(stat(join(home, "made")));
  });
});

describe("basic-ftp: TLS", () => {
  test("explicit FTPS: login, listing and a round trip over protected data connections", async () => {
    const client = await connect(true);
    const content = randomBytes(600_000);
    await client.uploadFrom(Readable.from([content]), "tls.bin");
    assert.ok((await readFile(join(home, "tls.bin"))).equals(content));
    assert.ok((await download(client, "tls.bin")).equals(content));
    const list = byName(await client.list("listing"));
    assert.equal(list.get("old.bin")?.size, 123_456);
    // Many short data connections in a row (session reuse on the data connections).
    for (let i = 0; i < 5; i++) await client.list("/");
  });
});
