/**
 * FileSpace: uploads with quotas enforced while bytes arrive (also across
 * concurrent uploads), REST and APPE, what an interrupted upload leaves in each
 * mode, usage accounting, and a full disk — a real one (a 1 MiB tmpfs) where this
 * machine lets us mount, and otherwise a source that fails the way a full disk does.
 * The usage figures and reservations live in a real (SQLite) store, as in the server.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { FileSpace, type SpaceLimits } from "../../src/core/files/file-space.js";
import type { JailedPath } from "../../src/core/files/jail.js";
import { measureUsage } from "../../src/core/files/usage.js";
import { UsageLedger } from "../../src/core/files/usage-ledger.js";
import { openStore, type Store } from "../../src/store/database.js";
import { FileUsageRepository } from "../../src/store/file-usage-repository.js";

const run = promisify(execFile);
const NO_LIMITS: SpaceLimits = { quotaBytes: 0, quotaFiles: 0, maxFileBytes: 0, interruptedUploads: "delete" };

const dirs: string[] = [];
const stores: Store[] = [];
/** Database failures the ledger could only log: none is expected here. */
const ledgerErrors: unknown[] = [];
after(async () => {
  for (const store of stores) await store.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  assert.deepEqual(ledgerErrors, []);
});

/** The usage ledger of `root`'s account, in a fresh SQLite store of its own; `onReserve` sees every reservation asked for. */
async function ledgerOf(root: string, onReserve?: () => void): Promise<ReturnType<UsageLedger["forAccount"]>> {
  const dir = await mkdtemp(join(tmpdir(), "cmy-ledger-"));
  dirs.push(dir);
  const store = await openStore({ url: "", dataDir: dir, migrate: true });
  stores.push(store);
  const repository = new FileUsageRepository(store.db, store.dialect);
  if (onReserve) {
    const reserve = repository.reserve.bind(repository);
    repository.reserve = (...args) => {
      onReserve();
      return reserve(...args);
    };
  }
  const ledger = new UsageLedger(repository, { node: "test", reservationTimeoutMs: 15_000, onError: (error) => ledgerErrors.push(error) });
  return ledger.forAccount("alice", root);
}

async function space(limits: Partial<SpaceLimits> = {}, onReserve?: () => void): Promise<FileSpace> {
  const dir = await mkdtemp(join(tmpdir(), "cmy-space-"));
  dirs.push(dir);
  const root = join(dir, "alice");
  return FileSpace.open(root, { ...NO_LIMITS, ...limits }, await ledgerOf(root, onReserve));
}

async function at(s: FileSpace, path: string): Promise<JailedPath> {
  const result = await s.resolve("/", path);
  assert.ok(result.ok, `resolve ${path}`);
  return result.path;
}

function bytes(n: number, fill = 0x61): Buffer {
  return Buffer.alloc(n, fill);
}

/** A source that yields `chunks`, one per turn of the event loop (so concurrent uploads interleave). */
function source(chunks: readonly Buffer[], failWith?: NodeJS.ErrnoException): Readable {
  let i = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (i < chunks.length) this.push(chunks[i++]);
        else if (failWith) this.destroy(failWith);
        else this.push(null);
      });
    },
  });
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/** Names in the space's root, our temporary upload files included. */
async function names(s: FileSpace, dir = ""): Promise<string[]> {
  return (await readdir(join(s.root, dir))).sort();
}

describe("FileSpace.upload", () => {
  test("writes the bytes and counts them", async () => {
    const s = await space();
    const result = await s.upload(await at(s, "a.bin"), source([bytes(1000), bytes(24, 0x62)]));
    assert.deepEqual(result, { ok: true, bytes: 1024 });
    assert.equal((await readFile(join(s.root, "a.bin"))).length, 1024);
    assert.deepEqual(await s.usage(), { bytes: 1024, files: 1 });
    assert.deepEqual(await names(s), ["a.bin"]);
  });

  test("an empty upload makes an empty file", async () => {
    const s = await space();
    assert.deepEqual(await s.upload(await at(s, "empty"), source([])), { ok: true, bytes: 0 });
    assert.equal((await stat(join(s.root, "empty"))).size, 0);
    assert.deepEqual(await s.usage(), { bytes: 0, files: 1 });
  });

  for (const mode of ["delete", "keep"] as const) {
    test(`APPE creates a missing file and appends to an empty or existing one (${mode})`, async () => {
      const s = await space({ interruptedUploads: mode });
      assert.deepEqual(await s.upload(await at(s, "log"), source([Buffer.from("one\n")]), { append: true }), { ok: true, bytes: 4 });
      assert.deepEqual(await s.upload(await at(s, "log"), source([Buffer.from("two\n")]), { append: true }), { ok: true, bytes: 4 });
      await writeFile(join(s.root, "empty"), "");
      const reopened = await FileSpace.open(s.root, { ...NO_LIMITS, interruptedUploads: mode }, s.ledger);
      assert.deepEqual(await reopened.upload(await at(reopened, "empty"), source([Buffer.from("x")]), { append: true }), { ok: true, bytes: 1 });
      assert.equal(await readFile(join(s.root, "log"), "utf8"), "one\ntwo\n");
      assert.equal(await readFile(join(s.root, "empty"), "utf8"), "x");
      assert.deepEqual(await reopened.usage(), { bytes: 9, files: 2 });
    });

    test(`REST n keeps the first n bytes and writes the rest after them (${mode})`, async () => {
      const s = await space({ interruptedUploads: mode });
      await s.upload(await at(s, "f"), source([Buffer.from("0123456789")]));
      assert.deepEqual(await s.upload(await at(s, "f"), source([Buffer.from("abc")]), { offset: 4 }), { ok: true, bytes: 3 });
      assert.equal(await readFile(join(s.root, "f"), "utf8"), "0123abc");
      assert.deepEqual(await s.usage(), { bytes: 7, files: 1 });
      // An offset past the end is refused (FTP: 554, RFC 1123 4.1.3.4): writing at the end instead put the bytes where the client did not think they were.
      assert.deepEqual(await s.upload(await at(s, "f"), source([Buffer.from("Z")]), { offset: 1000 }), { ok: false, reason: "invalid-offset" });
      assert.equal(await readFile(join(s.root, "f"), "utf8"), "0123abc");
      await s.upload(await at(s, "f"), source([Buffer.from("Z")]), { offset: 7 });
      assert.equal(await readFile(join(s.root, "f"), "utf8"), "0123abcZ");
    });
  }

  test("refuses directories, links and read-only spaces", async () => {
    const s = await space();
    await mkdir(join(s.root, "dir"));
    assert.deepEqual(await s.upload(await at(s, "dir"), source([bytes(1)])), { ok: false, reason: "is-a-directory" });
    const ro = await FileSpace.open(s.root, NO_LIMITS, null);
    assert.deepEqual(await ro.upload(await at(ro, "x"), source([bytes(1)])), { ok: false, reason: "read-only" });
  });
});

describe("quotas while the bytes arrive", () => {
  test("quotaBytes: the upload that crosses it fails and leaves nothing (delete)", async () => {
    const s = await space({ quotaBytes: 10_000 });
    await s.upload(await at(s, "old"), source([bytes(4000)]));
    const result = await s.upload(await at(s, "big"), source(Array.from({ length: 10 }, () => bytes(1000))));
    assert.deepEqual(result, { ok: false, reason: "quota" });
    assert.deepEqual(await names(s), ["old"]);
    assert.deepEqual(await s.usage(), { bytes: 4000, files: 1 });
  });

  test("quotaBytes: the source is not read to its end once the quota is crossed", async () => {
    const s = await space({ quotaBytes: 5000 });
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1000;
        setImmediate(() => this.push(bytes(1000)));
      },
    });
    assert.deepEqual(await s.upload(await at(s, "x"), endless), { ok: false, reason: "quota" });
    assert.ok(produced < 50_000, `read ${produced} bytes`);
  });

  test("quotaBytes: replacing a file needs room for the whole new one (the old one stays on disk until the rename), then gives the old one's bytes back", async () => {
    const s = await space({ quotaBytes: 10_000 });
    await s.upload(await at(s, "f"), source([bytes(6000)]));
    assert.deepEqual(await s.upload(await at(s, "f"), source([bytes(4000), bytes(1000)])), { ok: false, reason: "quota" });
    assert.equal((await stat(join(s.root, "f"))).size, 6000, "the file replaced stays whole");
    assert.deepEqual(await s.upload(await at(s, "f"), source([bytes(4000)])), { ok: true, bytes: 4000 });
    assert.deepEqual(await s.usage(), { bytes: 4000, files: 1 });
    assert.deepEqual(await measureUsage(s.root), await s.usage());
  });

  test("quotaBytes (keep): what arrived before the limit is not kept beyond it", async () => {
    const s = await space({ quotaBytes: 3000, interruptedUploads: "keep" });
    assert.deepEqual(await s.upload(await at(s, "big"), source([bytes(2000), bytes(2000)])), { ok: false, reason: "quota" });
    const size = (await stat(join(s.root, "big"))).size;
    assert.ok(size <= 3000);
    assert.equal((await s.usage()).bytes, size);
    assert.deepEqual(await measureUsage(s.root), await s.usage());
  });

  test("two uploads at once cannot add up past the quota", async () => {
    const s = await space({ quotaBytes: 10_000 });
    const chunks = Array.from({ length: 7 }, () => bytes(1000));
    const [a, b] = await Promise.all([s.upload(await at(s, "a"), source(chunks)), s.upload(await at(s, "b"), source(chunks))]);
    assert.deepEqual(
      [a, b].map((r) => r.ok).sort(),
      [false, true],
      `one fits, the other must not: ${JSON.stringify([a, b])}`,
    );
    assert.ok((await s.usage()).bytes <= 10_000);
    assert.deepEqual(await measureUsage(s.root), await s.usage());
  });

  test("a large upload asks the database a number of times that grows with the log of its size, not once per MiB", async () => {
    let reservations = 0;
    const s = await space({ quotaBytes: 2 ** 30 }, () => reservations++);
    const mib = bytes(2 ** 20);
    assert.deepEqual(await s.upload(await at(s, "big"), source(Array.from({ length: 32 }, () => mib))), { ok: true, bytes: 32 * 2 ** 20 });
    // 1 MiB ahead, then a quarter of what arrived: 14 for 32 MiB (a fixed 1 MiB ahead made 33).
    assert.ok(reservations <= 16, `${reservations} reservations for 32 MiB`);
    assert.deepEqual(await s.usage(), { bytes: 32 * 2 ** 20, files: 1 });
  });

  test("near the quota an upload reserves less ahead, then exact amounts: one that fits is never refused", async () => {
    const quotaBytes = 20 * 2 ** 20;
    const s = await space({ quotaBytes });
    const size = quotaBytes - 2 ** 18;
    const chunk = bytes(2 ** 18);
    assert.deepEqual(await s.upload(await at(s, "almost"), source(Array.from({ length: size / 2 ** 18 }, () => chunk))), { ok: true, bytes: size });
    assert.deepEqual(await s.usage(), { bytes: size, files: 1 });
    // And the room left is exactly what is left: the next upload of more is refused, of that much accepted.
    assert.deepEqual(await s.upload(await at(s, "over"), source([bytes(2 ** 18 + 1)])), { ok: false, reason: "quota" });
    assert.deepEqual(await s.upload(await at(s, "rest"), source([bytes(2 ** 18)])), { ok: true, bytes: 2 ** 18 });
  });

  test("maxFileBytes: too-large, whatever the quota", async () => {
    const s = await space({ maxFileBytes: 2048 });
    assert.deepEqual(await s.upload(await at(s, "f"), source([bytes(2048)])), { ok: true, bytes: 2048 });
    assert.deepEqual(await s.upload(await at(s, "g"), source([bytes(2000), bytes(49)])), { ok: false, reason: "too-large" });
    assert.deepEqual(await s.upload(await at(s, "f"), source([bytes(1)]), { append: true }), { ok: false, reason: "too-large" });
    assert.equal((await stat(join(s.root, "f"))).size, 2048);
  });

  test("quotaFiles: the N+1th new file is refused, replacing one is not, and concurrent new files count", async () => {
    const s = await space({ quotaFiles: 3 });
    for (const name of ["1", "2"]) assert.equal((await s.upload(await at(s, name), source([bytes(1)]))).ok, true);
    const [x, y] = await Promise.all([s.upload(await at(s, "x"), source([bytes(1), bytes(1)])), s.upload(await at(s, "y"), source([bytes(1), bytes(1)]))]);
    assert.deepEqual([x.ok, y.ok].sort(), [false, true]);
    assert.deepEqual(await s.upload(await at(s, "4"), source([bytes(1)])), { ok: false, reason: "quota" });
    assert.equal((await s.upload(await at(s, "1"), source([bytes(5)]))).ok, true);
    assert.equal((await s.usage()).files, 3);
  });
});

describe("createEmpty (claiming a name)", () => {
  test("makes an empty file, counted; refuses a name taken by anything, and a new file over quotaFiles", async () => {
    const s = await space({ quotaFiles: 3 });
    assert.deepEqual(await s.createEmpty(await at(s, "a")), { ok: true });
    assert.equal((await stat(join(s.root, "a"))).size, 0);
    assert.deepEqual(await s.createEmpty(await at(s, "a")), { ok: false, reason: "exists" });
    // A folder counts against quotaFiles as a file does.
    assert.deepEqual(await s.makeDirectory(await at(s, "dir")), { ok: true });
    assert.deepEqual(await s.createEmpty(await at(s, "dir")), { ok: false, reason: "exists" });
    assert.deepEqual(await s.createEmpty(await at(s, "b")), { ok: true });
    assert.deepEqual(await s.createEmpty(await at(s, "c")), { ok: false, reason: "quota" });
    assert.deepEqual(await s.makeDirectory(await at(s, "d")), { ok: false, reason: "quota" });
    assert.deepEqual(await s.usage(), { bytes: 0, files: 3 });
    assert.deepEqual(await s.usage(), await measureUsage(s.root));
    // An upload over the claimed name replaces it: no second file counted.
    assert.deepEqual(await s.upload(await at(s, "a"), source([bytes(10)])), { ok: true, bytes: 10 });
    assert.deepEqual(await s.usage(), { bytes: 10, files: 3 });
  });
});

describe("interrupted uploads", () => {
  test("delete: the old file stays intact and no temporary file is left", async () => {
    const s = await space({ interruptedUploads: "delete" });
    await s.upload(await at(s, "f"), source([Buffer.from("original")]));
    const result = await s.upload(await at(s, "f"), source([bytes(5000)], errno("ECONNRESET")));
    assert.deepEqual(result, { ok: false, reason: "interrupted" });
    assert.equal(await readFile(join(s.root, "f"), "utf8"), "original");
    assert.deepEqual(await names(s), ["f"]);
    assert.deepEqual(await s.usage(), { bytes: 8, files: 1 });
  });

  test("delete: a new file cut off leaves no file at all", async () => {
    const s = await space({ interruptedUploads: "delete" });
    assert.deepEqual(await s.upload(await at(s, "n"), source([bytes(100)], errno("ECONNRESET"))), { ok: false, reason: "interrupted" });
    assert.deepEqual(await names(s), []);
    assert.deepEqual(await s.usage(), { bytes: 0, files: 0 });
  });

  test("keep: the bytes that arrived stay, are counted, and the upload resumes with REST", async () => {
    const s = await space({ interruptedUploads: "keep" });
    const whole = Buffer.from("0123456789".repeat(100));
    assert.equal((await s.upload(await at(s, "r"), source([whole.subarray(0, 600)], errno("ECONNRESET")))).ok, false);
    assert.equal((await stat(join(s.root, "r"))).size, 600);
    assert.deepEqual(await s.usage(), { bytes: 600, files: 1 });
    assert.deepEqual(await s.upload(await at(s, "r"), source([whole.subarray(600)]), { offset: 600 }), { ok: true, bytes: 400 });
    assert.ok((await readFile(join(s.root, "r"))).equals(whole));
    assert.deepEqual(await s.usage(), { bytes: 1000, files: 1 });
  });

  test("keep: a file that could not even be created is not counted", async () => {
    const s = await space({ interruptedUploads: "keep" });
    const path = await at(s, "no-such-dir/f");
    assert.equal((await s.upload(path, source([bytes(1)]))).ok, false);
    assert.deepEqual(await s.usage(), { bytes: 0, files: 0 });
  });
});

describe("a full disk", () => {
  test("a write failing with ENOSPC is no-space, and the old file is untouched (a source failing as the disk would: no mount needed)", async () => {
    // The failure a full disk gives, raised inside the upload's pipeline; FileSpace itself is the real one.
    const s = await space({ interruptedUploads: "delete" });
    await s.upload(await at(s, "f"), source([Buffer.from("original")]));
    assert.deepEqual(await s.upload(await at(s, "f"), source([bytes(1000)], errno("ENOSPC"))), { ok: false, reason: "no-space" });
    assert.equal(await readFile(join(s.root, "f"), "utf8"), "original");
    assert.deepEqual(await names(s), ["f"]);
  });

  test("a real full disk: a 1 MiB tmpfs under the space", async (t) => {
    const base = await mkdtemp(join(tmpdir(), "cmy-full-"));
    dirs.push(base);
    const mountPoint = join(base, "alice");
    await mkdir(mountPoint);
    try {
      await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint], { timeout: 5000 });
    } catch (error) {
      // CI runs as root and sets CMY_TEST_REQUIRE_TMPFS, so there this must run; elsewhere (no root) it says why not.
      const why = `cannot mount a tmpfs here (${(error as Error).message.split("\n")[0]})`;
      if (process.env["CMY_TEST_REQUIRE_TMPFS"]) throw new Error(`${why}, and CMY_TEST_REQUIRE_TMPFS is set`);
      t.skip(`${why}; covered by the ENOSPC test above`);
      return;
    }
    try {
      for (const mode of ["delete", "keep"] as const) {
        const s = await FileSpace.open(mountPoint, { ...NO_LIMITS, interruptedUploads: mode }, await ledgerOf(mountPoint));
        await writeFile(join(mountPoint, "keepsake"), "precious");
        const result = await s.upload(await at(s, "huge"), source(Array.from({ length: 40 }, () => bytes(64 * 1024))));
        assert.deepEqual(result, { ok: false, reason: "no-space" }, mode);
        assert.equal(await readFile(join(mountPoint, "keepsake"), "utf8"), "precious");
        if (mode === "delete") assert.deepEqual((await readdir(mountPoint)).sort(), ["keepsake"]);
        // Written before the keepsake: the space's figures count it only after a fresh measure.
        const measured = await measureUsage(mountPoint);
        const recorded = await s.usage();
        assert.deepEqual({ bytes: recorded.bytes + 8, files: recorded.files + 1 }, measured, mode);
        await rm(join(mountPoint, "huge"), { force: true });
        await rm(join(mountPoint, "keepsake"), { force: true });
      }
    } finally {
      await run("umount", [mountPoint], { timeout: 5000 });
    }
  });
});

describe("other operations keep the usage right", () => {
  test("delete, rename over a file, and a fresh measure agree", async () => {
    const s = await space();
    await s.upload(await at(s, "a"), source([bytes(100)]));
    await s.upload(await at(s, "b"), source([bytes(50)]));
    await s.upload(await at(s, "c"), source([bytes(7)]));
    assert.equal((await s.rename(await at(s, "a"), await at(s, "b"))).ok, true);
    assert.equal((await s.delete(await at(s, "c"))).ok, true);
    assert.deepEqual(await s.usage(), { bytes: 100, files: 1 });
    assert.deepEqual(await measureUsage(s.root), await s.usage());
  });

  test("setModified and setMode stay in the space and respect read-only", async () => {
    const s = await space();
    await s.upload(await at(s, "f"), source([bytes(1)]));
    const when = new Date(Date.UTC(2001, 1, 3, 4, 5, 6));
    assert.equal((await s.setModified(await at(s, "f"), when)).ok, true);
    assert.equal((await stat(join(s.root, "f"))).mtime.getTime(), when.getTime());
    assert.equal((await s.setMode(await at(s, "f"), 0o4777)).ok, true);
    assert.equal((await stat(join(s.root, "f"))).mode & 0o7777, 0o777);
    assert.deepEqual(await s.setMode(await at(s, "/"), 0o777), { ok: false, reason: "read-only" });
    assert.deepEqual(await s.setModified(await at(s, "missing"), when), { ok: false, reason: "not-found" });
    const ro = await FileSpace.open(s.root, NO_LIMITS, null);
    assert.deepEqual(await ro.setModified(await at(ro, "f"), when), { ok: false, reason: "read-only" });
  });
});

describe("what the HTTP door adds", () => {
  test("atomic: in keep mode too, a cut-off upload leaves nothing and the file it replaces stays whole", async () => {
    const s = await space({ interruptedUploads: "keep" });
    await s.upload(await at(s, "f"), source([Buffer.from("old content")]));
    const cut = await s.upload(await at(s, "f"), source([bytes(500)], errno("ECONNRESET")), { atomic: true });
    assert.deepEqual(cut, { ok: false, reason: "interrupted" });
    assert.equal(await readFile(join(s.root, "f"), "utf8"), "old content");
    assert.deepEqual(await names(s), ["f"]);
    assert.deepEqual(await s.usage(), { bytes: 11, files: 1 });
  });

  test("checkUpload with a declared length: too large, over the quota (room for the difference when replacing), or fine", async () => {
    const s = await space({ quotaBytes: 1000, maxFileBytes: 800 });
    await s.upload(await at(s, "f"), source([bytes(400)]));
    assert.deepEqual(await s.checkUpload(await at(s, "g"), 801), { ok: false, reason: "too-large" });
    assert.deepEqual(await s.checkUpload(await at(s, "g"), 601), { ok: false, reason: "quota" });
    assert.deepEqual(await s.checkUpload(await at(s, "g"), 600), { ok: true });
    assert.deepEqual(await s.checkUpload(await at(s, "f"), 800), { ok: true }, "replacing f frees its 400 bytes");
    assert.deepEqual(await s.checkUpload(await at(s, "g")), { ok: true }, "no length: checked while the bytes arrive");
  });

  test("openRead with a length reads that much from the offset", async () => {
    const s = await space();
    await s.upload(await at(s, "f"), source([Buffer.from("0123456789")]));
    const read = async (offset: number, length?: number): Promise<string> => {
      const opened = await s.openRead(await at(s, "f"), offset, length);
      assert.ok(opened.ok);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    assert.equal(await read(2, 3), "234");
    assert.equal(await read(8, 100), "89");
    assert.equal(await read(3, 0), "");
    assert.equal(await read(0), "0123456789");
  });

  test("rename with noReplace refuses to replace a file; without it, FTP's rule replaces", async () => {
    const s = await space();
    await s.upload(await at(s, "a"), source([Buffer.from("a")]));
    await s.upload(await at(s, "b"), source([Buffer.from("bb")]));
    assert.deepEqual(await s.rename(await at(s, "a"), await at(s, "b"), { noReplace: true }), { ok: false, reason: "exists" });
    assert.deepEqual(await names(s), ["a", "b"]);
    assert.deepEqual(await s.rename(await at(s, "a"), await at(s, "b")), { ok: true });
    assert.deepEqual(await s.usage(), { bytes: 1, files: 1 });
  });

  test("two folder moves at once cannot together put a path past PATH_MAX: one goes, the other is refused", async () => {
    const s = await space();
    const D = "d".repeat(200);
    const chain = (levels: number): string => Array.from({ length: levels }, () => D).join("/");
    await mkdir(join(s.root, "A", chain(9)), { recursive: true });
    await mkdir(join(s.root, "B", chain(8)), { recursive: true });
    await mkdir(join(s.root, "C", chain(4)), { recursive: true });
    // Many folders beside the chain: the first move's check takes a while.
    await Promise.all(Array.from({ length: 3000 }, (_, i) => mkdir(join(s.root, "B", `a${String(i).padStart(5, "0")}`))));
    // Each alone fits; together A would end up more than 4,095 bytes deep.
    const [first, second] = await Promise.all([
      s.rename(await at(s, "B"), await at(s, `C/${chain(4)}/B`)),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return s.rename(await at(s, "A"), await at(s, `B/${chain(8)}/A`));
      })(),
    ]);
    assert.deepEqual(first, { ok: true });
    // Before: both went through, and the account's usage could not be measured again (ENAMETOOLONG).
    assert.equal(second.ok, false, "the second move, checked against where the first left things, is refused");
    await measureUsage(s.root);
  });

  test("removeTree deletes a folder with its content, links not followed, and takes it off the usage; never the root", async () => {
    const s = await space();
    assert.deepEqual(await s.makeDirectory(await at(s, "tree")), { ok: true });
    assert.deepEqual(await s.makeDirectory(await at(s, "tree/deep")), { ok: true });
    await s.upload(await at(s, "tree/one"), source([bytes(100)]));
    await s.upload(await at(s, "tree/deep/two"), source([bytes(50)]));
    await s.upload(await at(s, "kept"), source([bytes(7)]));
    const outside = await mkdtemp(join(tmpdir(), "cmy-outside-"));
    dirs.push(outside);
    await writeFile(join(outside, "precious"), "do not delete");
    await run("ln", ["-s", outside, join(s.root, "tree", "link")]);
    assert.deepEqual(await s.removeTree(await at(s, "tree")), { ok: true });
    assert.deepEqual(await names(s), ["kept"]);
    assert.equal(await readFile(join(outside, "precious"), "utf8"), "do not delete");
    assert.deepEqual(await s.usage(), { bytes: 7, files: 1 });
    assert.deepEqual(await s.usage(), await measureUsage(s.root));
    assert.deepEqual(await s.removeTree(await at(s, "/")), { ok: false, reason: "read-only" });
    assert.deepEqual(await s.removeTree(await at(s, "kept")), { ok: false, reason: "not-a-directory" });
  });
});
