/**
 * Upload and share links, and IRC's draft/FILEHOST, are made from http.publicUrl; left
 * empty, from server.name (cmymessage.local by default), which clients usually cannot
 * resolve. The operator is told at start which address links will use.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeAfterServers, serveProcess } from "../support/serve-process.js";

const WARNING = "http.publicUrl is not set";

async function scratch(t: import("node:test").TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cmy-public-url-"));
  removeAfterServers(t, dir);
  return join(dir, "data");
}

function logged(lines: readonly string[], msgStart: string): { level: number; links?: string } | undefined {
  const line = lines.find((l) => l.includes(`"msg":"${msgStart}`));
  return line === undefined ? undefined : (JSON.parse(line) as { level: number; links?: string });
}

test("with http.publicUrl empty, serve warns at start naming the address links will use", async (t) => {
  const server = await serveProcess(t, await scratch(t), { CMY_HTTP_LISTEN: "127.0.0.1:0" });
  const listening = server.messages().find((l) => l.includes('"HTTP listening"'));
  assert.ok(listening, "the HTTP door listens");
  const { port } = JSON.parse(listening) as { port: number };
  const warning = logged(server.messages(), WARNING);
  assert.ok(warning, `no warning in:\n${server.messages().join("\n")}`);
  assert.equal(warning.level, 40, "a warning");
  assert.equal(warning.links, `http://cmymessage.local:${port}`);
});

test("with http.publicUrl set, or no HTTP door, there is nothing to warn about", async (t) => {
  const set = await serveProcess(t, await scratch(t), { CMY_HTTP_LISTEN: "127.0.0.1:0", CMY_HTTP_PUBLIC_URL: "https://chat.example.org" });
  assert.ok(set.messages().some((l) => l.includes('"HTTP listening"')));
  assert.equal(logged(set.messages(), WARNING), undefined);
  const none = await serveProcess(t, await scratch(t));
  assert.equal(logged(none.messages(), WARNING), undefined);
});
