import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { validateConfig } from "../../src/config/load.js";

/**
 * Slow clients (slowloris, a body trickled byte by byte) are cut at the documented
 * deadlines, measured from outside with a raw socket. The deadlines are configured short
 * here; the bounds are wide enough for a busy machine and narrow enough that Node's
 * default 30 s sweep (which made a 10 s deadline 12–40 s) would fail them.
 */
const HEADERS_SECONDS = 2;
const REQUEST_SECONDS = 4;
/** A byte this often keeps any per-socket idle timer from firing first. */
const DRIP_MS = 200;

let server: TestServer;

before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"], headersTimeoutSeconds: HEADERS_SECONDS, requestTimeoutSeconds: REQUEST_SECONDS } });
});
after(() => server.stop());

interface Cut {
  /** Milliseconds from the first byte sent to the server closing the connection. */
  readonly afterMs: number;
  readonly reply: string;
}

/** Sends `start`, then `drip` every DRIP_MS, until the server closes the connection or `giveUpMs` passes (then fails). */
function trickle(start: string, drip: string, giveUpMs: number): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: server.httpPort, host: "127.0.0.1" });
    let reply = "";
    let began = 0;
    let dripper: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(dripper);
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("error", () => {});
    socket.once("connect", () => {
      began = performance.now();
      socket.write(start);
      dripper = setInterval(() => socket.writable && socket.write(drip), DRIP_MS);
    });
    socket.once("close", () => {
      clearInterval(dripper);
      clearTimeout(giveUp);
      resolve({ afterMs: performance.now() - began, reply });
    });
  });
}

test(`headers sent slowly are cut with 408 at http.headersTimeoutSeconds (${HEADERS_SECONDS} s), not before ${HEADERS_SECONDS - 1} s nor after ${HEADERS_SECONDS + 3} s`, async () => {
  const cut = await trickle("GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-a: b\r\n", (HEADERS_SECONDS + 3) * 1000);
  assert.ok(cut.afterMs >= (HEADERS_SECONDS - 1) * 1000, `cut too early: ${cut.afterMs} ms`);
  assert.match(cut.reply, /^HTTP\/1\.1 408 /);
});

test(`a body sent slowly is cut with 408 at http.requestTimeoutSeconds (${REQUEST_SECONDS} s), not before ${REQUEST_SECONDS - 1} s nor after ${REQUEST_SECONDS + 3} s`, async () => {
  const head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
  const cut = await trickle(head, " ", (REQUEST_SECONDS + 3) * 1000);
  assert.ok(cut.afterMs >= (REQUEST_SECONDS - 1) * 1000, `cut too early: ${cut.afterMs} ms`);
  assert.match(cut.reply, /^HTTP\/1\.1 408 /);
});

test("a header deadline later than the whole request's is refused when the config is read", () => {
  assert.throws(
    () => validateConfig({ http: { headersTimeoutSeconds: 20, requestTimeoutSeconds: 10 } }, "test"),
    /requestTimeoutSeconds must be at least headersTimeoutSeconds/,
  );
});
