/**
 * The curl and lftp lines README.md and docs/files.md give for FTPS, read from
 * those files and run against a real server with its self-signed certificate:
 * a line that stops working (a missing -k, an lftp that refuses the certificate,
 * a password that is never asked for) fails here, and so does a change to the
 * docs that breaks one. Only what a person supplies is filled in: the host and
 * port, the password (typed at the prompt), the SHA-1 fingerprint the server
 * logs, and for lftp the commands typed at its prompt.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { expectSuccess, run } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** The port and hosts the docs use, replaced by the test server's. */
const DOCUMENTED_PORT = "2121";
const DOCUMENTED_HOSTS = ["localhost", "example.org"];
/** The placeholder docs/files.md puts where the operator pastes the logged SHA-1 fingerprint. */
const SHA1_PLACEHOLDER = "SHA1-FINGERPRINT";

let server: FtpTestServer;
let home: string;
let local: string;
let sha1 = "";

before(async () => {
  server = await startFtpServer();
  home = await server.home();
  local = await mkdtemp(join(tmpdir(), "cmy-doc-clients-"));
  await mkdir(join(local, "home"));
  const logged = server.logs.find((record) => typeof record.fingerprintSha1 === "string");
  sha1 = String(logged?.fingerprintSha1 ?? "");
});
after(async () => {
  await server.stop();
  await rm(local, { recursive: true, force: true });
});

/** Words of a command line as a POSIX shell splits them (quotes, no expansion), up to a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assert.notEqual(end, -1, `unclosed quote in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "#" && word === null) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The indented (code) lines of a Markdown file that run `program` against an FTP server. */
async function documentedLines(file: string, program: "curl" | "lftp"): Promise<string[]> {
  const text = await readFile(join(REPO, file), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("    "))
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${program} `) && (line.includes("ftp://") || line.includes(`-p ${DOCUMENTED_PORT}`)));
}

/** What a person adapts to their server: host, port, the pasted fingerprint. */
function forThisServer(word: string): string {
  let out = word.replaceAll(SHA1_PLACEHOLDER, sha1);
  for (const host of DOCUMENTED_HOSTS) {
    out = out.replace(`//${host}:${DOCUMENTED_PORT}/`, `//127.0.0.1:${server.ftpPort}/`);
    if (out === host) out = "127.0.0.1";
  }
  return out === DOCUMENTED_PORT ? String(server.ftpPort) : out;
}

/** `-u alice` asks for the password at the terminal; here it comes with the name, as curl and lftp also take it. */
function withPassword(words: string[], separator: ":" | ","): string[] {
  const at = words.indexOf("-u");
  assert.ok(at !== -1 && words[at + 1] === USER, `the documented line logs in with -u ${USER}: ${words.join(" ")}`);
  return words.map((word, i) => (i === at + 1 ? `${USER}${separator}${PASSWORD}` : word));
}

test("the server logs the certificate's SHA-1 fingerprint beside the SHA-256 one", () => {
  const logged = server.logs.find((record) => typeof record.fingerprintSha1 === "string");
  assert.ok(logged, "a start log line with fingerprintSha1");
  assert.match(String(logged.fingerprintSha1), /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  assert.match(String(logged.fingerprint), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

for (const file of ["README.md", "docs/files.md"]) {
  test(`${file}: the documented curl upload works as written over FTPS`, async () => {
    const lines = await documentedLines(file, "curl");
    assert.ok(lines.length > 0, `${file} documents a curl line for FTP`);
    for (const line of lines) {
      const words = withPassword(shellWords(line).map(forThisServer), ":");
      const upload = words[words.indexOf("-T") + 1]!;
      const content = `uploaded by ${file}'s curl line\n`;
      await writeFile(join(local, upload), content);
      expectSuccess(await run(words[0]!, [...words.slice(1), "-sS", "--max-time", "30"], { cwd: local }), line);
      assert.equal(await readFile(join(home, upload), "utf8"), content, line);
    }
  });

  test(`${file}: the documented lftp line connects over FTPS, uploads and lists`, async () => {
    const lines = await documentedLines(file, "lftp");
    assert.ok(lines.length > 0, `${file} documents an lftp line`);
    for (const line of lines) {
      const words = withPassword(shellWords(line).map(forThisServer), ",");
      const name = `lftp-${file.replace(/\W/g, "-")}.txt`;
      await writeFile(join(local, name), "from lftp\n");
      // What the person types at lftp's prompt, after what the line itself runs.
      const typed = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 15", `put ${name}`, "cls -1", "quit"].join("; ");
      const e = words.indexOf("-e");
      const args = e === -1 ? ["-e", typed, ...words.slice(1)] : words.slice(1).map((word, i) => (i === e ? `${word}; ${typed}` : word));
      const result = await run(words[0]!, args, { timeoutMs: 45_000, cwd: local, env: { ...process.env, HOME: join(local, "home") } });
      expectSuccess(result, line);
      assert.match(result.stdout, new RegExp(`^${name}$`, "m"), line);
      assert.equal(await readFile(join(home, name), "utf8"), "from lftp\n", line);
    }
  });
}
