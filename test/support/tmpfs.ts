/**
 * A small real file system that fills up: a tmpfs of a given size mounted for one
 * test (root only), and a ballast file that takes all but a little of its room.
 * Where no tmpfs can be mounted the test steps aside saying why, or fails when
 * CMY_TEST_REQUIRE_TMPFS is set (CI runs as root and sets it).
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import { teardownOf } from "./teardown.js";

const exec = promisify(execFile);

export const REQUIRE_TMPFS_ENV = "CMY_TEST_REQUIRE_TMPFS";

/**
 * Mounts a tmpfs of `sizeBytes` on a fresh directory (unmounted and removed when `t`
 * ends) and returns its path; or null after marking `t` skipped with the reason
 * (a failure instead when CMY_TEST_REQUIRE_TMPFS is set). `mountPoint`: mount there instead (made by the caller).
 */
export async function mountTmpfs(t: TestContext, sizeBytes: number, mountPoint?: string): Promise<string | null> {
  const path = mountPoint ?? (await mkdtemp(join(tmpdir(), "cmy-tmpfs-")));
  try {
    await exec("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0700`, "tmpfs", path], { timeout: 5000 });
  } catch (error) {
    if (mountPoint === undefined) await rm(path, { recursive: true, force: true });
    const why = `cannot mount a tmpfs here (${(error as Error).message.split("\n")[0]})`;
    if (process.env[REQUIRE_TMPFS_ENV]) throw new Error(`${why}, and ${REQUIRE_TMPFS_ENV} is set`);
    t.skip(`${why}; run as root (CI sets ${REQUIRE_TMPFS_ENV}=1 to make this mandatory)`);
    return null;
  }
  teardownOf(t).add(`unmounting the tmpfs at ${path}`, async () => {
    // lazy: a server killed at the end may still hold files open for a moment.
    await exec("umount", ["-l", path], { timeout: 5000 });
    if (mountPoint === undefined) await rm(path, { recursive: true, force: true });
  });
  return path;
}

/** Bytes an unprivileged writer can still put on the file system holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Writes `file` (zeros, really allocated) until only about `leaveBytes` are free on its
 * file system; returns its size. Removing the file makes the room again.
 */
export async function fillWithBallast(file: string, leaveBytes: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  const handle = await open(file, "w");
  let written = 0;
  try {
    for (;;) {
      const room = (await freeBytes(file)) - leaveBytes;
      if (room <= 0) break;
      const { bytesWritten } = await handle.write(chunk, 0, Math.min(chunk.length, room));
      written += bytesWritten;
    }
  } finally {
    await handle.close();
  }
  return written;
}
