/**
 * The image's HEALTHCHECK program (src/cli/healthcheck.ts, run as dist/cli/healthcheck.js)
 * against a real server: Docker reads only its exit code (0 healthy, 1 unhealthy) and keeps
 * its last line of output, so both are what a user sees in `docker inspect`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT } from "../support/deploy-files.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

interface Outcome {
  readonly code: number;
  readonly stdout: string;
}

/** Runs the check as the container would, with only the given CMY_* variables set. */
function runHealthcheck(env: Record<string, string>): Promise<Outcome> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CMY_")));
  return new Promise((done, fail) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/healthcheck.ts"], { cwd: REPO_ROOT, env: { ...clean, ...env }, timeout: 30_000 }, (error, stdout) => {
      if (error && typeof error.code !== "number") return fail(error);
      done({ code: typeof error?.code === "number" ? error.code : 0, stdout });
    });
  });
}

describe("the container health check (GET /healthz)", () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    dir = await mkdtemp(join(tmpdir(), "cmy-healthcheck-"));
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("healthy (exit 0) when the server answers on the listener CMY_HTTP_LISTEN names", async () => {
    const outcome = await runHealthcheck({ CMY_HTTP_LISTEN: `127.0.0.1:${server.httpPort}` });
    assert.equal(outcome.code, 0, outcome.stdout);
    assert.match(outcome.stdout, new RegExp(`^healthy: http://127\\.0\\.0\\.1:${server.httpPort}/healthz answered 200`));
  });

  test("a wildcard listener ([::], as in the image) is asked on 127.0.0.1", async () => {
    const outcome = await runHealthcheck({ CMY_HTTP_LISTEN: `[::]:${server.httpPort}` });
    assert.equal(outcome.code, 0, outcome.stdout);
  });

  test("the listener can come from the file CMY_CONFIG names, as the server reads it", async () => {
    const file = join(dir, "config.yaml");
    await writeFile(file, `http:\n  listen: ["127.0.0.1:${server.httpPort}"]\n`);
    const outcome = await runHealthcheck({ CMY_CONFIG: file });
    assert.equal(outcome.code, 0, outcome.stdout);
  });

  test("unhealthy (exit 1) with the reason when nothing answers there", async () => {
    const stopped = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    const port = stopped.httpPort;
    await stopped.stop();
    const outcome = await runHealthcheck({ CMY_HTTP_LISTEN: `127.0.0.1:${port}` });
    assert.equal(outcome.code, 1);
    assert.match(outcome.stdout, /^unhealthy: http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED/);
  });

  test("unhealthy, saying why, when the web door is off", async () => {
    const outcome = await runHealthcheck({ CMY_HTTP_LISTEN: "" });
    assert.equal(outcome.code, 1);
    assert.match(outcome.stdout, /http\.listen is empty/);
  });
});
