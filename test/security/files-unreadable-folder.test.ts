/**
 * A folder of an account's space that the server may not read must not be counted as
 * empty: the quota's recount would record less than is stored, and the account could
 * store past its quota (a mode set with SITE CHMOD before it kept the owner's bits).
 * Root reads anything through its capabilities, so as root the count runs in a child
 * process without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: the permissions of the files
 * (its own) then hold for it, as for the server running as a non-root user.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../support/deploy-files.js";

test("a folder its owner cannot read is given the owner's rwx back and counted, not counted as empty", async (t) => {
  const space = await mkdtemp(join(tmpdir(), "cmy-usage-"));
  t.after(async () => {
    await chmod(join(space, "locked"), 0o700).catch(() => {});
    await rm(space, { recursive: true, force: true });
  });
  await mkdir(join(space, "locked"));
  await writeFile(join(space, "locked", "hidden.bin"), Buffer.alloc(1000));
  await writeFile(join(space, "seen.bin"), Buffer.alloc(10));
  await chmod(join(space, "locked"), 0o000);

  const script = `import { measureUsage } from ${JSON.stringify(join(REPO_ROOT, "src/core/files/usage.ts"))};\nprocess.stdout.write(JSON.stringify(await measureUsage(${JSON.stringify(space)})));`;
  const node = [process.execPath, "--import", "tsx", "--input-type=module", "-e", script];
  const command = process.getuid?.() === 0 ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", ...node] : node;
  const run = spawnSync(command[0]!, command.slice(1), { cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  // Two files and the folder, which counts as one too (files.quotaFiles counts folders).
  assert.deepEqual(JSON.parse(run.stdout) as unknown, { bytes: 1010, files: 3 });
  assert.equal((await stat(join(space, "locked"))).mode & 0o777, 0o700);
});
