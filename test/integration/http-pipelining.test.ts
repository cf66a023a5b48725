/**
 * Requests pipelined on one connection (RFC 9112 §9.3.2), through a raw socket against
 * the real server: they are answered in order, one at a time, bodies included; a client
 * that pipelines without reading makes the server hold at most http.maxPipelinedRequests requests (never
 * their answers), and past that the connection ends.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient } from "../support/http-client.js";
import { waitFor } from "../support/wait.js";

/** http.maxPipelinedRequests as set here (not the default 32, so that the setting is seen to apply). */
const MAX_WAITING = 28;
const MiB = 1024 * 1024;

interface Answer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** The complete answers at the start of what one connection received (this server frames each with Content-Length). */
function parseAnswers(received: string): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  for (;;) {
    const end = received.indexOf("\r\n\r\n", at);
    if (end === -1) return answers;
    const [statusLine = "", ...lines] = received.slice(at, end).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? 0);
    if (received.length < end + 4 + length) return answers;
    answers.push({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0), headers, body: received.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

interface Connection {
  readonly socket: net.Socket;
  /** Everything received so far (latin1: one character per byte). */
  received(): string;
  answers(): Answer[];
  isClosed(): boolean;
}

async function connect(port: number): Promise<Connection> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let received = "";
  let closed = false;
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  // A reset is how an abusive connection may end; the test looks at what arrived before.
  socket.on("error", () => {});
  socket.once("close", () => (closed = true));
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, received: () => received, answers: () => parseAnswers(received), isClosed: () => closed };
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;

/** The 404 of a path no route takes names it: which request an answer is for. */
function assertAnswersFor(answers: readonly Answer[], first: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const answer = answers[i];
    assert.ok(answer, `answer ${i} is missing`);
    assert.equal(answer.status, 404, `answer ${i}: ${answer.body}`);
    assert.equal((JSON.parse(answer.body) as { detail: string }).detail, `No route GET /pipelined/${first + i}`, `answer ${i} is for request ${first + i}`);
  }
}

let collect: (() => void) | undefined;

/** The heap the server keeps: after full garbage collections (it runs in this process). */
function settledHeap(): number {
  if (!collect) {
    v8.setFlagsFromString("--expose-gc");
    collect = vm.runInNewContext("gc") as () => void;
  }
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe("HTTP requests pipelined on one connection", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], maxPipelinedRequests: MAX_WAITING } });
    token = (await ApiClient.forPort(server.httpPort).register("alice")).tokens.accessToken;
  });
  after(() => server.stop());

  test("a client that reads the answers as they come gets all of them, in order, and keeps its connection", async () => {
    const connection = await connect(server.httpPort);
    const [rounds, perRound] = [20, 16];
    let sent = 0;
    for (let round = 0; round < rounds; round++) {
      connection.socket.write(Array.from({ length: perRound }, () => get(`/pipelined/${sent++}`)).join(""));
      // The next round goes while this one's answers are still coming.
      await waitFor(() => connection.answers().length >= sent - perRound / 2, { what: `answers to round ${round}` });
    }
    await waitFor(() => connection.answers().length === sent, { what: "the last answers" });
    assertAnswersFor(connection.answers(), 0, sent);

    connection.socket.write(get("/healthz"));
    await waitFor(() => connection.answers().length === sent + 1, { what: "a request after them on the same connection" });
    assert.equal(connection.answers()[sent]?.status, 200);
    connection.socket.destroy();
  });

  test("requests with bodies (uploads, a login) pipelined with others: each in its turn, so a download right behind an upload gets the file", async () => {
    const connection = await connect(server.httpPort);
    const file = "f".repeat(200_000);
    const login = JSON.stringify({ name: "nobody", password: "not the password" });
    const chunked = ["first,", "second,", "third"];
    connection.socket.write(
      `PUT /api/v1/files/content?path=%2Fpiped.bin HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${file.length}\r\n\r\n${file}` +
        `GET /api/v1/files/content?path=%2Fpiped.bin HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n\r\n` +
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\n\r\n${login}` +
        `PUT /api/v1/files/content?path=%2Fchunked.txt HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${chunked.map((part) => `${part.length.toString(16)}\r\n${part}\r\n`).join("")}0\r\n\r\n` +
        `GET /api/v1/files/content?path=%2Fchunked.txt HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n\r\n` +
        get("/healthz"),
    );
    await waitFor(() => connection.answers().length === 6, { what: "six answers" });
    const answers = connection.answers();
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [201, 200, 401, 201, 200, 200],
      answers.map((answer) => answer.body.slice(0, 200)).join("\n"),
    );
    assert.equal(answers[1]?.body, file, "the download behind the upload is the file uploaded");
    assert.equal(answers[4]?.body, chunked.join(""));
    connection.socket.destroy();
  });

  test(`more than ${MAX_WAITING} requests pipelined before reading: once read, those first are answered in order, then 503 with Connection: close, and the connection ends`, async () => {
    const connection = await connect(server.httpPort);
    connection.socket.pause();
    const count = 40;
    connection.socket.write(Array.from({ length: count }, (_, i) => get(`/pipelined/${i}`)).join(""));
    await sleep(300);
    connection.socket.resume();
    await waitFor(() => connection.isClosed(), { what: "the connection to end" });
    const answers = connection.answers();
    const refusal = answers.at(-1);
    assert.ok(refusal, "answers arrived");
    // One handed to the app and MAX_WAITING waiting when the rest were parsed (all in one read); later ones may have gone meanwhile.
    assert.ok(answers.length > MAX_WAITING + 1 && answers.length < count, `${answers.length} answers`);
    assertAnswersFor(answers, 0, answers.length - 1);
    assert.equal(refusal.status, 503, refusal.body);
    assert.match(refusal.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(refusal.headers.get("connection"), "close");
    assert.equal(parseAnswers(connection.received()).length, answers.length);
    assert.ok(connection.received().endsWith(refusal.body), "nothing after the refusal");
  });

  test("2,000 requests pipelined by a client that never reads: the server keeps neither them nor their answers, and closes the connection", async () => {
    const baseline = settledHeap();
    const connection = await connect(server.httpPort);
    connection.socket.pause();
    // Each answer is the whole OpenAPI document (~30 KB): all of them built at once were ~120 MB.
    connection.socket.write(get("/api/v1/openapi.json").repeat(2000));
    let peak = baseline;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      peak = Math.max(peak, settledHeap());
    }
    assert.ok(peak - baseline < 8 * MiB, `the server's heap grew by ${((peak - baseline) / MiB).toFixed(1)} MiB`);

    connection.socket.resume();
    await waitFor(() => connection.isClosed(), { what: `the connection to end (${connection.answers().length} answers read)` });
    const answers = connection.answers();
    assert.ok(answers.length <= MAX_WAITING + 2, `${answers.length} answers`);
    for (const answer of answers.slice(0, -1)) assert.equal(answer.status, 200);
  });
});
