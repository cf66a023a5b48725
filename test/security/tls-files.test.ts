/**
 * The configured TLS certificate and key (tls.certFile, tls.keyFile) against a real
 * `cmymessage serve`: a pair that does not go together (or a file that is missing or not
 * PEM) is a configuration error at start (exit status 2, the setting and the file named);
 * replacing the files then SIGHUP serves the new certificate on IRC over TLS and on FTPS
 * (AUTH TLS), a bad file at the reload keeps the old one; TLS 1.2 offers forward-secret
 * AEAD suites only; a certificate about to expire is warned of, and the self-signed one
 * the server made is made anew when it is.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { cliCommand } from "../support/cli-command.js";
import { REPO_ROOT } from "../support/deploy-files.js";
import { removeAfterServers, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);

type KeyType = "rsa" | "ec";

interface Pair {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint, as Node's getPeerCertificate() gives it. */
  readonly fingerprint: string;
}

/** A self-signed certificate and its unencrypted key, made by openssl in `dir`. */
async function makePair(dir: string, name: string, type: KeyType, days = 30): Promise<Pair> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const newkey = type === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  await run("openssl", ["req", "-x509", ...newkey, "-nodes", "-sha256", "-days", String(days), "-subj", `/CN=${name}.test`, "-keyout", key, "-out", cert]);
  return { cert, key, fingerprint: new X509Certificate(await readFile(cert)).fingerprint256 };
}

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  removeAfterServers(t, dir);
  return dir;
}

/** `cmymessage serve` that is expected to refuse to start: its exit status and what it wrote. */
async function failedStart(dataDir: string, env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CMY_")));
  const child = spawn(process.execPath, [...cliCommand().args, "serve"], {
    cwd: REPO_ROOT,
    env: { ...clean, CMY_DATA_DIR: dataDir, CMY_IRC_LISTEN: "127.0.0.1:0", CMY_IRC_TLS_LISTEN: "127.0.0.1:0", CMY_FTP_LISTEN: "", CMY_HTTP_LISTEN: "", CMY_LOG_FORMAT: "json", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    // It started after all: no use waiting for an exit.
    if (output.includes("CmyMessage is running")) child.kill("SIGKILL");
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  clearTimeout(timer);
  return { status, output };
}

/** The port of the first log line `msg` (e.g. "IRC (TLS) listening"). */
function portOf(server: ServeProcess, msg: string): number {
  const line = server.messages().find((l) => l.includes(`"msg":"${msg}"`));
  if (!line) throw new Error(`no "${msg}" line in the log:\n${server.messages().join("\n")}`);
  return (JSON.parse(line) as { port: number }).port;
}

/** The SHA-256 fingerprint of the certificate a fresh IRC-over-TLS connection is shown. */
async function ircCertificate(port: number): Promise<string> {
  const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    return socket.getPeerCertificate().fingerprint256;
  } finally {
    socket.destroy();
  }
}

/** Reads from `socket` until a line matches `pattern`. */
function readUntil(socket: net.Socket | tls.TLSSocket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (pattern.test(text)) {
        socket.off("data", onData);
        socket.off("error", reject);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/** The SHA-256 fingerprint of the certificate FTPS's AUTH TLS presents. */
async function ftpsCertificate(port: number): Promise<string> {
  const raw = net.connect({ host: "127.0.0.1", port });
  try {
    await readUntil(raw, /^220 .*\r\n/m);
    raw.write("AUTH TLS\r\n");
    await readUntil(raw, /^234 .*\r\n/m);
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    const fingerprint = secure.getPeerCertificate().fingerprint256;
    secure.destroy();
    return fingerprint;
  } finally {
    raw.destroy();
  }
}

/** Sends SIGHUP and resolves with the log line that says what came of it. */
async function sighup(server: ServeProcess): Promise<string> {
  const before = server.messages().length;
  server.child.kill("SIGHUP");
  const outcome = (): string | undefined => server.messages().slice(before).find((line) => line.includes("SIGHUP: configuration"));
  await waitFor(() => outcome() !== undefined, { timeoutMs: 10_000, what: "the reload's log line" });
  return outcome()!;
}

/** Copies `pair`'s files over the configured ones, key first (as an operator's script might). */
async function install(pair: Pair, configured: { cert: string; key: string }): Promise<void> {
  await copyFile(pair.key, configured.key);
  await copyFile(pair.cert, configured.cert);
}

/** A server with IRC over TLS and FTPS on the configured files `live`. */
async function serveWithFiles(t: TestContext, dir: string, live: { cert: string; key: string }): Promise<ServeProcess & { ircTls: number; ftp: number }> {
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { mode: 0o700 });
  const server = await serveProcess(t, dataDir, { CMY_IRC_TLS_LISTEN: "127.0.0.1:0", CMY_FTP_LISTEN: "127.0.0.1:0", CMY_TLS_CERT: live.cert, CMY_TLS_KEY: live.key });
  return { ...server, ircTls: portOf(server, "IRC (TLS) listening"), ftp: portOf(server, "FTP listening") };
}

test("a certificate and key that are no pair, missing or not PEM are refused at start with exit status 2, naming the setting and the file", async (t) => {
  const dir = await tempDir(t, "cmy-tls-files-");
  const rsa = await makePair(dir, "rsa", "rsa");
  const ec = await makePair(dir, "ec", "ec");
  const otherEc = await makePair(dir, "other-ec", "ec");
  const notPem = join(dir, "not-pem.txt");
  await writeFile(notPem, "this is not a certificate\n");
  const missing = join(dir, "missing.pem");
  const cases: Array<{ what: string; cert: string; key: string; setting: RegExp; file: string }> = [
    { what: "RSA certificate, EC key", cert: rsa.cert, key: ec.key, setting: /tls\.keyFile/, file: ec.key },
    { what: "EC certificate, RSA key", cert: ec.cert, key: rsa.key, setting: /tls\.keyFile/, file: rsa.key },
    { what: "EC certificate, another EC key", cert: ec.cert, key: otherEc.key, setting: /tls\.keyFile/, file: otherEc.key },
    { what: "missing certificate file", cert: missing, key: ec.key, setting: /tls\.certFile/, file: missing },
    { what: "missing key file", cert: ec.cert, key: missing, setting: /tls\.keyFile/, file: missing },
    { what: "certificate file not PEM", cert: notPem, key: ec.key, setting: /tls\.certFile/, file: notPem },
    { what: "key file not PEM", cert: ec.cert, key: notPem, setting: /tls\.keyFile/, file: notPem },
  ];
  for (const c of cases) {
    await t.test(c.what, async () => {
      const dataDir = await mkdtemp(join(dir, "data-"));
      const { status, output } = await failedStart(dataDir, { CMY_TLS_CERT: c.cert, CMY_TLS_KEY: c.key });
      assert.equal(status, 2, `exit status 2 (a configuration error); output:\n${output}`);
      const message = output.split("\n").find((line) => line.startsWith("cmymessage: ")) ?? "";
      assert.match(message, c.setting, output);
      assert.ok(message.includes(c.file), `the message names ${c.file}: ${message}`);
      assert.doesNotMatch(output, /TLS certificate loaded/);
    });
  }
});

test("rotation: new files then SIGHUP serve the new certificate on IRC over TLS and FTPS; an open connection keeps its session", async (t) => {
  const dir = await tempDir(t, "cmy-tls-rotate-");
  const first = await makePair(dir, "first", "ec");
  const second = await makePair(dir, "second", "rsa");
  const live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
  await install(first, live);
  const server = await serveWithFiles(t, dir, live);
  assert.equal(await ircCertificate(server.ircTls), first.fingerprint);
  assert.equal(await ftpsCertificate(server.ftp), first.fingerprint);

  // A client connected before the rotation.
  const before = tls.connect({ host: "127.0.0.1", port: server.ircTls, rejectUnauthorized: false });
  t.after(() => before.destroy());
  await new Promise<void>((resolve) => before.once("secureConnect", resolve));

  await install(second, live);
  assert.match(await sighup(server), /SIGHUP: configuration reloaded/);
  assert.equal(await ircCertificate(server.ircTls), second.fingerprint, "IRC over TLS serves the new certificate");
  assert.equal(await ftpsCertificate(server.ftp), second.fingerprint, "FTPS serves the new certificate");

  // The earlier connection is still there and talks on its old session.
  assert.equal(before.getPeerCertificate().fingerprint256, first.fingerprint);
  before.write("NICK early\r\nUSER early 0 * :x\r\n");
  await readUntil(before, / 001 early /);
});

test("a reload with a bad certificate or key file keeps the old certificate and says which file", async (t) => {
  const dir = await tempDir(t, "cmy-tls-bad-reload-");
  const first = await makePair(dir, "first", "rsa");
  const mismatched = await makePair(dir, "mismatched", "ec");
  const live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
  await install(first, live);
  const server = await serveWithFiles(t, dir, live);
  assert.equal(await ircCertificate(server.ircTls), first.fingerprint);

  // A certificate that is not PEM.
  await writeFile(live.cert, "garbage\n");
  const garbled = await sighup(server);
  assert.match(garbled, /configuration is invalid; nothing changed/);
  assert.match(garbled, /tls\.certFile/);
  assert.ok(garbled.includes(live.cert), garbled);
  assert.equal(await ircCertificate(server.ircTls), first.fingerprint);
  assert.equal(await ftpsCertificate(server.ftp), first.fingerprint);

  // The right certificate again, but a key of another type.
  await copyFile(first.cert, live.cert);
  await copyFile(mismatched.key, live.key);
  const unpaired = await sighup(server);
  assert.match(unpaired, /configuration is invalid; nothing changed/);
  assert.match(unpaired, /tls\.keyFile/);
  assert.ok(unpaired.includes(live.key), unpaired);
  assert.equal(await ircCertificate(server.ircTls), first.fingerprint);
  assert.equal(await ftpsCertificate(server.ftp), first.fingerprint);
});

/** Whether `openssl s_client` completes a TLS 1.2 handshake with only `cipher` offered. */
async function handshakes(port: number, cipher: string, starttls?: "ftp"): Promise<boolean> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-tls1_2", "-cipher", cipher, ...(starttls ? ["-starttls", starttls] : [])];
  const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end("QUIT\r\n");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return new RegExp(`Cipher is ${cipher}\\b`).test(output);
}

test("TLS 1.2 offers forward-secret AEAD suites only, on IRC over TLS and FTPS", async (t) => {
  const dir = await tempDir(t, "cmy-tls-ciphers-");
  const rsa = await makePair(dir, "rsa", "rsa");
  const server = await serveWithFiles(t, dir, rsa);
  for (const port of [server.ircTls]) {
    assert.equal(await handshakes(port, "ECDHE-RSA-AES128-GCM-SHA256"), true, "an ECDHE AES-GCM suite works");
    assert.equal(await handshakes(port, "ECDHE-RSA-CHACHA20-POLY1305"), true, "ECDHE CHACHA20-POLY1305 works");
    assert.equal(await handshakes(port, "AES128-SHA"), false, "RSA key exchange with SHA-1 (no forward secrecy) is refused");
    assert.equal(await handshakes(port, "AES128-GCM-SHA256"), false, "RSA key exchange with AES-GCM (no forward secrecy) is refused");
    assert.equal(await handshakes(port, "ECDHE-RSA-AES128-SHA"), false, "CBC with SHA-1 is refused");
  }
  assert.equal(await handshakes(server.ftp, "ECDHE-RSA-AES256-GCM-SHA384", "ftp"), true, "FTPS: an ECDHE AES-GCM suite works");
  assert.equal(await handshakes(server.ftp, "AES128-SHA", "ftp"), false, "FTPS: RSA key exchange with SHA-1 is refused");
  assert.equal(await handshakes(server.ftp, "ECDHE-RSA-AES128-SHA", "ftp"), false, "FTPS: CBC with SHA-1 is refused");
});

test("a configured certificate that expires within 14 days is warned of at start, with its date", async (t) => {
  const dir = await tempDir(t, "cmy-tls-expiring-");
  const soon = await makePair(dir, "soon", "ec", 3);
  const server = await serveWithFiles(t, dir, soon);
  const notAfter = new Date(new X509Certificate(await readFile(soon.cert)).validTo).toISOString().slice(0, 10);
  const warning = server.messages().find((line) => /expires/.test(line) && line.includes('"level":40'));
  assert.ok(warning, server.messages().join("\n"));
  assert.ok(warning.includes(notAfter), warning);
  assert.ok(warning.includes(soon.cert), warning);
});

test("the self-signed certificate the server made is made anew at start when it expires within 14 days", async (t) => {
  const dir = await tempDir(t, "cmy-tls-renew-");
  const dataDir = join(dir, "data");
  await mkdir(join(dataDir, "tls"), { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  // As if the server had made it 823 days ago: an ECDSA certificate two days from its end.
  const old = await makePair(join(dataDir, "tls"), "self-signed", "ec", 2);
  const server = await serveProcess(t, dataDir, { CMY_IRC_TLS_LISTEN: "127.0.0.1:0" });
  const fingerprint = await ircCertificate(portOf(server, "IRC (TLS) listening"));
  assert.notEqual(fingerprint, old.fingerprint, "a new certificate is served");
  const now = new X509Certificate(await readFile(join(dataDir, "tls", "self-signed.crt")));
  assert.equal(now.fingerprint256, fingerprint, "and kept in <dataDir>/tls");
  assert.ok(new Date(now.validTo).getTime() > Date.now() + 800 * 24 * 3600_000);
  assert.ok(server.messages().some((line) => line.includes("made a new self-signed TLS certificate")), server.messages().join("\n"));
});
