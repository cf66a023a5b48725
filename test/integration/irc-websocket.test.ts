/**
 * IRC over WebSocket at /ws (IRCv3 WebSocket spec), driven by the `ws` library as
 * a browser would, next to irc-framework over TCP: one more transport of the same
 * IRC service, with the same limits.
 */
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { FrameworkClient } from "../support/framework-client.js";
import { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";
import { RefusedUpgrade, WsIrcClient } from "../support/ws-irc-client.js";

const SERVER = "cmymessage.local";

/** Every received message is one IRC line: no CR or LF anywhere in it. */
function assertOneLinePerMessage(client: WsIrcClient): void {
  for (const message of client.messages) assert.doesNotMatch(message.text, /[\r\n]/, `a message holds a line break: ${JSON.stringify(message.text)}`);
}

async function refusal(port: number, options: Parameters<typeof WsIrcClient.connect>[1]): Promise<RefusedUpgrade> {
  try {
    const client = await WsIrcClient.connect(port, options);
    client.close();
  } catch (error) {
    if (error instanceof RefusedUpgrade) return error;
    throw error;
  }
  assert.fail("the upgrade was accepted");
}

/** A handshake's answer read off a raw socket: the status line's code, the headers (names lower-cased), the body. */
interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Sends a handshake of our own making (the `ws` client always sends a valid one) and reads the answer's head and body. */
function rawHandshake(port: number, lines: readonly string[], method = "GET"): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write([`${method} /ws HTTP/1.1`, "Host: 127.0.0.1", "Connection: Upgrade", ...lines, "", ""].join("\r\n")));
    let received = "";
    const settle = (): void => {
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [statusLine = "", ...headerLines] = received.slice(0, end).split("\r\n");
      const headers = new Map(headerLines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()] as const));
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
      const body = received.slice(end + 4);
      // A 101 has no body; any other answer is framed by its Content-Length.
      if (status !== 101 && Buffer.byteLength(body) < Number(headers.get("content-length") ?? 0)) return;
      socket.destroy();
      resolve({ status, headers, body });
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      settle();
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`closed before a whole answer: ${JSON.stringify(received)}`)));
  });
}

async function stopWithin(server: TestServer, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([server.stop(), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

describe("one server, default limits (flood control off as in other tests)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], allowedOrigins: ["https://gamja.example.org"] } });
  });
  after(() => server.stop());

  test("text.ircv3.net: registers, every line comes as its own text message without CRLF", async () => {
    const client = await WsIrcClient.register(server.httpPort, "wstext", { protocols: ["text.ircv3.net"] });
    try {
      assert.equal(client.protocol, "text.ircv3.net");
      assert.match(client.lines[0]!, new RegExp(`^:${SERVER} 001 wstext :Welcome .* wstext!~wstext@127\\.0\\.0\\.1$`));
      await client.waitFor(/ 366 wstext #general /);
      assert.ok(client.messages.every((message) => !message.binary), "text frames only");
      assertOneLinePerMessage(client);
      assert.ok(client.lines.includes(`:${SERVER} 376 wstext :End of /MOTD command.`), "the MOTD end is one message");
    } finally {
      client.close();
    }
  });

  test("binary.ircv3.net: binary messages both ways; the client's order of preference decides; none offered = text", async () => {
    const binary = await WsIrcClient.register(server.httpPort, "wsbinary", { protocols: ["binary.ircv3.net", "text.ircv3.net"] });
    const textFirst = await WsIrcClient.connect(server.httpPort, { protocols: ["text.ircv3.net", "binary.ircv3.net"] });
    const bare = await WsIrcClient.register(server.httpPort, "wsbare");
    const foreign = await WsIrcClient.register(server.httpPort, "wsforeign", { protocols: ["chat.example", "binary.ircv3.net"] });
    try {
      assert.equal(binary.protocol, "binary.ircv3.net");
      assert.ok(binary.messages.length > 10 && binary.messages.every((message) => message.binary), "binary frames only");
      assertOneLinePerMessage(binary);
      assert.equal(textFirst.protocol, "text.ircv3.net");
      assert.equal(bare.protocol, "", "no subprotocol header when none was offered");
      assert.ok(bare.messages.every((message) => !message.binary), "text frames without a subprotocol");
      assert.equal(foreign.protocol, "binary.ircv3.net", "an unknown subprotocol is passed over");
      // A binary line that is not UTF-8 is refused like on TCP (UTF8ONLY).
      binary.send(Buffer.from([0x50, 0x52, 0x49, 0x56, 0x4d, 0x53, 0x47, 0x20, 0x23, 0x67, 0x20, 0x3a, 0xff, 0xfe]));
      assert.match(await binary.waitFor(/ FAIL /), /^:\S+ FAIL PRIVMSG INVALID_UTF8 :/);
    } finally {
      for (const client of [binary, textFirst, bare, foreign]) client.close();
    }
  });

  test("talks both ways in #general with irc-framework over TCP; a long message arrives as one message per line", async () => {
    const tcp = await FrameworkClient.connect(server.port, "tcpfriend");
    const ws = await WsIrcClient.register(server.httpPort, "wsfriend", { protocols: ["text.ircv3.net"] });
    try {
      await ws.waitFor(/ 366 wsfriend #general /);
      await tcp.waitFor("join", (event) => event.nick === "wsfriend");

      ws.send("PRIVMSG #general :hello from the browser ☕");
      const heard = await tcp.waitFor("privmsg", (event) => event.nick === "wsfriend");
      assert.equal(heard.message, "hello from the browser ☕");
      assert.equal(heard.target, "#general");

      tcp.client.say("#general", "hello from irssi's cousin");
      assert.equal(await ws.waitFor(/hello from irssi/), ":tcpfriend!~tcpfriend@127.0.0.1 PRIVMSG #general :hello from irssi's cousin");

      // Too long for one 512-byte line: the server splits it, and each line is its own message.
      const long = `${"word ".repeat(300)}end`;
      tcp.client.say("#general", long);
      await ws.waitFor(/ :.*end$/);
      const parts = ws.lines.filter((line) => line.startsWith(":tcpfriend!") && line.includes("PRIVMSG #general :word"));
      assert.ok(parts.length >= 3, `split over ${parts.length} messages`);
      assert.equal(parts.map((line) => line.slice(line.indexOf(" :") + 2)).join(" ").replace(/\s+/g, " "), long);
      assertOneLinePerMessage(ws);

      // A trailing CRLF from a sloppy client is tolerated.
      ws.send("PRIVMSG #general :sloppy but fine\r\n");
      assert.equal((await tcp.waitFor("privmsg", (event) => event.nick === "wsfriend")).message, "sloppy but fine");
    } finally {
      ws.close();
      await tcp.close();
    }
  });

  test("a message with a line break inside is refused whole: the command hidden after it never runs", async () => {
    const ws = await WsIrcClient.register(server.httpPort, "wssmuggler");
    const tcp = await RawClient.register(server.port, "witness");
    try {
      ws.send("PRIVMSG #general :innocent\r\nPRIVMSG #general :smuggled");
      assert.equal(await ws.waitFor(/ 400 /), `:${SERVER} 400 wssmuggler * :WebSocket message holds a line break (one IRC line per message, without CR or LF) and was ignored`);
      ws.send("PRIVMSG #general :lone\rCR");
      await ws.waitFor(/ 400 /);
      ws.send("PRIVMSG #general :after");
      await tcp.waitFor(/:after$/);
      assert.equal(tcp.lines.some((line) => /innocent|smuggled|lone/.test(line)), false, "nothing of the refused messages was relayed");
      assert.equal(ws.isClosed, false);
    } finally {
      ws.close();
      tcp.close();
    }
  });

  test("an over-long line gets 417 like on TCP and the connection lives; far over the limit, ws closes with 1009", async () => {
    const ws = await WsIrcClient.register(server.httpPort, "wslong");
    try {
      ws.send(`PRIVMSG #general :${"x".repeat(600)}`);
      assert.equal(await ws.waitFor(/ 417 /), `:${SERVER} 417 wslong :Input line was too long`);
      ws.send(`@${"+t=v;".repeat(1700)} PRIVMSG #general :big tags`);
      await ws.waitFor(/ 417 /);
      await ws.sync();
      // maxPayload is twice the longest line (17,408 bytes by default).
      ws.send(`PRIVMSG #general :${"y".repeat(20_000)}`);
      const { code } = await ws.closed;
      assert.equal(code, 1009);
    } finally {
      ws.close();
    }
  });

  test("origins: a foreign page gets 403; the server's own origin, a configured one and no Origin at all are accepted", async () => {
    const port = server.httpPort;
    const foreign = await refusal(port, { origin: "https://evil.example" });
    assert.equal(foreign.status, 403);
    assert.match(String(foreign.headers["content-type"]), /^application\/problem\+json/);
    assert.deepEqual(JSON.parse(foreign.body), {
      type: "urn:cmymessage:problem:origin-not-allowed",
      title: "Pages of this origin may not open a WebSocket here",
      status: 403,
      detail: "Origin https://evil.example is not allowed; an administrator can add it to http.allowedOrigins",
    });
    assert.equal((await refusal(port, { origin: "null" })).status, 403, "a sandboxed page");
    assert.equal((await refusal(port, { origin: `http://127.0.0.1:${port + 1}` })).status, 403, "another port is another origin");

    for (const origin of [`http://127.0.0.1:${port}`, "https://gamja.example.org", undefined]) {
      const client = await WsIrcClient.register(port, `ok${origin === undefined ? "none" : origin.length}`, origin === undefined ? {} : { origin });
      client.close();
    }
  });

  test("only /ws upgrades; other paths answer 404 and GET /ws without an upgrade is the API's 404", async () => {
    const other = await refusal(server.httpPort, { path: "/irc" });
    assert.equal(other.status, 404);
    assert.match(JSON.parse(other.body).detail as string, /IRC over WebSocket is at \/ws/);
    const plain = await fetch(`http://127.0.0.1:${server.httpPort}/ws`);
    assert.equal(plain.status, 404);
    assert.equal(plain.headers.get("content-type"), "application/problem+json; charset=utf-8");
  });

  test("a handshake that is not a valid WebSocket one is the server's own problem, with the security headers: 400, 405, 426 naming version 13", async () => {
    const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    const v13 = "Sec-WebSocket-Version: 13";
    const cases: ReadonlyArray<readonly [what: string, lines: readonly string[], status: number, method?: string]> = [
      ["no Sec-WebSocket-Key", ["Upgrade: websocket", v13], 400],
      ["a key that is not 16 bytes", ["Upgrade: websocket", "Sec-WebSocket-Key: c2hvcnQ=", v13], 400],
      ["a Sec-WebSocket-Protocol that is not a list of tokens", ["Upgrade: websocket", key, v13, "Sec-WebSocket-Protocol: a b"], 400],
      ["a protocol offered twice", ["Upgrade: websocket", key, v13, "Sec-WebSocket-Protocol: text.ircv3.net, text.ircv3.net"], 400],
      ["POST", ["Upgrade: websocket", key, v13], 405, "POST"],
      ["version 12", ["Upgrade: websocket", key, "Sec-WebSocket-Version: 12"], 426],
      ["version 8 (a draft)", ["Upgrade: websocket", key, "Sec-WebSocket-Version: 8"], 426],
      ["no version", ["Upgrade: websocket", key], 426],
    ];
    for (const [what, lines, status, method] of cases) {
      const answer = await rawHandshake(server.httpPort, lines, method);
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
      assert.match(answer.headers.get("content-type") ?? "", /^application\/problem\+json/, what);
      assert.equal((JSON.parse(answer.body) as { status: number }).status, status, what);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", what);
      assert.match(answer.headers.get("content-security-policy") ?? "", /^default-src 'none'/, what);
      if (status === 405) assert.equal(answer.headers.get("allow"), "GET", what);
      if (status === 426) assert.equal(answer.headers.get("sec-websocket-version"), "13", what);
    }
    // WebSocket among other protocols, in any case, is still a WebSocket handshake.
    const accepted = await rawHandshake(server.httpPort, ["Upgrade: h2c, WebSocket", key, v13, "Sec-WebSocket-Protocol: foo, text.ircv3.net"]);
    assert.equal(accepted.status, 101, accepted.body);
    assert.equal(accepted.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(accepted.headers.get("sec-websocket-protocol"), "text.ircv3.net");
  });

  test("a WebSocket client is one more connection of its user: WHOIS shows it, QUIT reaches TCP clients", async () => {
    const ws = await WsIrcClient.register(server.httpPort, "wsquitter");
    const tcp = await RawClient.register(server.port, "quitwatch");
    try {
      tcp.send("WHOIS wsquitter");
      assert.match(await tcp.waitFor(/ 311 quitwatch wsquitter /), /~wsquitter 127\.0\.0\.1 \* :wsquitter over websocket$/);
      assert.equal(tcp.lines.some((line) => / 671 quitwatch wsquitter /.test(line)), false, "plain ws:// is not secure");
      ws.send("QUIT :closing the tab");
      assert.equal(await tcp.waitFor(/ QUIT /), ":wsquitter!~wsquitter@127.0.0.1 QUIT :Quit: closing the tab");
      const { code } = await ws.closed;
      assert.equal(code, 1000);
    } finally {
      ws.close();
      tcp.close();
    }
  });
});

test("flood control applies: a WebSocket client blasting 200 lines is dropped with Excess Flood", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, irc: { flood: { enabled: true, burst: 5, linesPerSecond: 5, maxQueuedLines: 20 } } });
  try {
    const observer = await RawClient.register(server.port, "floodwatch");
    const flooder = await WsIrcClient.register(server.httpPort, "wsflooder");
    await observer.waitFor((line) => line.startsWith(":wsflooder!") && line.includes(" JOIN #general"));
    for (let i = 0; i < 200; i++) flooder.send(`PRIVMSG #general :flood line ${i}`);
    assert.equal(await flooder.waitFor(/^ERROR /), "ERROR :Closing link: 127.0.0.1 (Excess Flood)");
    await flooder.closed;
    assert.equal(await observer.waitFor(/ QUIT /), ":wsflooder!~wsflooder@127.0.0.1 QUIT :Excess Flood");
    const relayed = observer.lines.filter((line) => line.startsWith(":wsflooder!") && / PRIVMSG /.test(line));
    assert.ok(relayed.length <= 6, `only the burst got through, not ${relayed.length} lines`);
    observer.close();
  } finally {
    await stopWithin(server, 5000);
  }
});

test("send queue: a WebSocket client that stops reading is dropped with SendQ exceeded; the sender goes on", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, irc: { sendQueueBytes: 65536 }, server: { shutdownTimeoutSeconds: 1 } });
  try {
    const observer = await RawClient.register(server.port, "sqwatch");
    const slow = await WsIrcClient.register(server.httpPort, "wsslow");
    const flooder = await RawClient.register(server.port, "sqflooder");
    slow.send("JOIN #flood");
    await slow.waitFor(/ 366 wsslow #flood /);
    flooder.send("JOIN #flood");
    await flooder.waitFor(/ 366 sqflooder #flood /);
    await slow.sync();
    slow.ws.pause(); // never read again: the kernel buffers fill, then the server's queue
    const batch = Array.from({ length: 30 }, () => `PRIVMSG #flood :${"x".repeat(400)}\r\n`).join("");
    const isQuit = (line: string): boolean => line.startsWith(":wsslow!") && / QUIT /.test(line);
    let quit: string | undefined;
    // Bounded: at most 1000 batches of 30 × ~420 bytes ≈ 12.6 MB, far more than kernel buffers hold.
    for (let round = 0; round < 1000 && quit === undefined; round++) {
      flooder.sendBytes(batch);
      const token = `sq${round}`;
      flooder.send(`PING ${token}`);
      await flooder.waitFor((line) => line.endsWith(token), 10_000);
      quit = observer.lines.find(isQuit);
    }
    quit ??= await observer.waitFor(isQuit, 3000);
    assert.equal(quit, ":wsslow!~wsslow@127.0.0.1 QUIT :SendQ exceeded");
    flooder.send("PRIVMSG #general :still here");
    assert.match(await observer.waitFor(/still here$/), /^:sqflooder!/);
    slow.ws.resume();
    await slow.closed;
    observer.close();
    flooder.close();
  } finally {
    await stopWithin(server, 5000);
  }
});

test("per-IP limit: WebSocket connections count with IRC ones and free their slot when they close", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, limits: { connectionsPerIp: 2 }, server: { shutdownTimeoutSeconds: 1 } });
  try {
    const first = await WsIrcClient.register(server.httpPort, "wslimit1");
    const second = await WsIrcClient.connect(server.httpPort);
    // The third connection from 127.0.0.1 is refused, whichever door it knocks at.
    const irc = await RawClient.connect(server.port);
    assert.equal(await irc.waitFor(/^ERROR /), "ERROR :Closing link: (Too many connections from your address)");
    await assert.rejects(WsIrcClient.connect(server.httpPort), (error: unknown) => error instanceof Error, "a third WebSocket is refused");
    // A connection from another address is not affected.
    const other = await RawClient.connect(server.port, "127.0.0.1", { localAddress: "127.0.0.2" });
    other.send("NICK elsewhere");
    other.send("USER elsewhere 0 * :elsewhere");
    await other.waitFor(/ 001 elsewhere /);
    other.close();

    second.close();
    const again = await waitFor(
      async () => {
        try {
          return await WsIrcClient.register(server.httpPort, "wslimit3");
        } catch {
          return undefined;
        }
      },
      { what: "a slot freed by the closed WebSocket" },
    );
    assert.equal(again.isClosed, false);
    first.close();
    again.close();
  } finally {
    await stopWithin(server, 5000);
  }
});

test("registration timeout applies to a WebSocket client that never registers", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, irc: { registrationTimeoutSeconds: 1 }, server: { shutdownTimeoutSeconds: 1 } });
  try {
    const silent = await WsIrcClient.connect(server.httpPort, { protocols: ["text.ircv3.net"] });
    assert.equal(await silent.waitFor(/^ERROR /, 5000), "ERROR :Closing link: 127.0.0.1 (Registration timed out)");
    assert.equal((await silent.closed).code, 1000);
  } finally {
    await stopWithin(server, 5000);
  }
});

test("shutdown: WebSocket clients get ERROR, then a close frame with 1001 (going away); stop() is not held up", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, server: { shutdownTimeoutSeconds: 2 } });
  const registered = await WsIrcClient.register(server.httpPort, "wsstop", { protocols: ["binary.ircv3.net"] });
  const unregistered = await WsIrcClient.connect(server.httpPort);
  const started = Date.now();
  await stopWithin(server, 5000);
  assert.ok(Date.now() - started < 2500, `stop() took ${Date.now() - started} ms`);
  for (const client of [registered, unregistered]) {
    assert.match(await client.waitFor(/^ERROR /), /^ERROR :Closing link: 127\.0\.0\.1 \(Server shutting down\)$/);
    assert.equal((await client.closed).code, 1001);
  }
});

describe("behind a trusted proxy (http.trustProxy)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], trustProxy: true }, limits: { connectionsPerIp: 3 }, auth: { plaintextSaslFromLoopback: true } });
    const created = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "proxied", password: "a proxied password" }),
    });
    assert.equal(created.status, 201);
  });
  after(() => stopWithin(server, 5000));

  async function plain(headers: Record<string, string>): Promise<{ client: WsIrcClient; result: string }> {
    const client = await WsIrcClient.connect(server.httpPort, { headers });
    client.send("CAP REQ :sasl");
    await client.waitFor(/ CAP \* ACK /);
    client.send("AUTHENTICATE PLAIN");
    const next = await client.waitFor(/AUTHENTICATE \+| 904 /);
    if (/ 904 /.test(next)) return { client, result: next };
    client.send(`AUTHENTICATE ${Buffer.from("\0proxied\0a proxied password").toString("base64")}`);
    return { client, result: await client.waitFor(/ 90[34] /) };
  }

  test("the address is the entry the proxy appended (right-most), counted against its own per-IP slots, not the proxy's", async () => {
    const clients: WsIrcClient[] = [];
    try {
      // Four clients behind the one proxy address (127.0.0.1) that allows three connections;
      // each sent an X-Forwarded-For of its own choosing, which the proxy appended to.
      for (const [nick, address] of [["viaproxy1", "203.0.113.7"], ["viaproxy2", "203.0.113.8"], ["viaproxy3", "2001:db8::5"], ["viaproxy4", "198.51.100.4"]] as const) {
        const client = await WsIrcClient.register(server.httpPort, nick, { headers: { "X-Forwarded-For": `10.0.0.1, ${address}` } });
        clients.push(client);
        assert.match(client.lines[0]!, new RegExp(` 001 ${nick} .*@${address.replace(/\./g, "\\.")}$`));
      }
      // A client that changes what it sends is still counted as the address the proxy saw.
      for (const [i, nick] of ["viaproxy5", "viaproxy6"].entries()) clients.push(await WsIrcClient.register(server.httpPort, nick, { headers: { "X-Forwarded-For": `10.9.${i}.1, 203.0.113.7` } }));
      const fourth = await refusal(server.httpPort, { headers: { "X-Forwarded-For": "10.9.9.1, 203.0.113.7" } });
      assert.equal(fourth.status, 503);
      assert.equal(fourth.headers["retry-after"], "5");
      assert.match(JSON.parse(fourth.body).detail as string, /^Too many connections from your address$/);
      // Not an address: the proxy's own address is used.
      const junk = await WsIrcClient.register(server.httpPort, "viajunk", { headers: { "X-Forwarded-For": "not-an-address" } });
      clients.push(junk);
      assert.match(junk.lines[0]!, /@127\.0\.0\.1$/);
    } finally {
      for (const client of clients) client.close();
    }
  });

  test("SASL PLAIN: refused from a remote client over plain ws, allowed when the proxy says https", async () => {
    const insecure = await plain({ "X-Forwarded-For": "198.51.100.20" });
    assert.match(insecure.result, / 904 \* :SASL authentication failed: SASL PLAIN needs a TLS connection$/);
    insecure.client.close();
    const secure = await plain({ "X-Forwarded-For": "198.51.100.21", "X-Forwarded-Proto": "https" });
    assert.match(secure.result, / 903 /);
    secure.client.close();
    // Straight from loopback, no proxy headers: trusted like a loopback TCP client.
    const local = await plain({});
    assert.match(local.result, / 903 /);
    local.client.close();
  });
});

describe("behind two trusted proxies (http.trustProxy: 2, a CDN and nginx)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], trustProxy: 2 }, limits: { connectionsPerIp: 3 } });
  });
  after(() => stopWithin(server, 5000));

  test("the address is the entry two hops back; whatever the client put before it does not count; too few entries or not an IP = the socket's", async () => {
    const clients: WsIrcClient[] = [];
    try {
      for (const [i, nick] of ["viacdn1", "viacdn2", "viacdn3"].entries()) {
        const client = await WsIrcClient.register(server.httpPort, nick, { headers: { "X-Forwarded-For": `10.8.${i}.1, 203.0.113.30, 198.51.100.${i + 1}` } });
        clients.push(client);
        assert.match(client.lines[0]!, new RegExp(` 001 ${nick} .*@203\\.0\\.113\\.30$`));
      }
      const fourth = await refusal(server.httpPort, { headers: { "X-Forwarded-For": "10.8.9.1, 203.0.113.30, 198.51.100.1" } });
      assert.equal(fourth.status, 503);
      for (const [nick, forwardedFor] of [["viashort", "203.0.113.31"], ["viajunk2", "not-an-address, 198.51.100.1"]] as const) {
        const client = await WsIrcClient.register(server.httpPort, nick, { headers: { "X-Forwarded-For": forwardedFor } });
        clients.push(client);
        assert.match(client.lines[0]!, /@127\.0\.0\.1$/, forwardedFor);
      }
    } finally {
      for (const client of clients) client.close();
    }
  });
});

test("without http.trustProxy, X-Forwarded-For and X-Forwarded-Proto are ignored", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  try {
    const client = await WsIrcClient.register(server.httpPort, "noproxy", { headers: { "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https" } });
    assert.match(client.lines[0]!, /@127\.0\.0\.1$/);
    client.send("WHOIS noproxy");
    await client.waitFor(/ 318 /);
    assert.equal(client.lines.some((line) => / 671 /.test(line)), false);
    client.close();
  } finally {
    await stopWithin(server, 5000);
  }
});
