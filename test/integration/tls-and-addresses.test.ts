import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import { setup, rawSync } from "../support/fixture.js";

/** Whether this machine can listen on and connect to ::1. */
async function hasIPv6Loopback(): Promise<boolean> {
  const server = net.createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "::1", port: 0 }, resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: "::1", port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", reject);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const ipv6 = await hasIPv6Loopback();
const NO_V6 = " (SKIPPED: this machine has no IPv6 loopback ::1)";

test("TLS: a client registers over TLS with the self-signed certificate, and WHOIS shows 671 for it only", async (t) => {
  const fx = await setup(t, { irc: { tlsListen: ["127.0.0.1:0"] } });
  const tlsPort = fx.server.tlsPort;
  assert.ok(tlsPort > 0);
  assert.ok(fx.server.server.tlsFingerprint);

  const secure = await fx.connect("secure", { port: tlsPort, tls: true });
  const plain = await fx.connect("plain");

  const info = await new Promise<{ nick: string; secure?: boolean; hostname?: string }>((resolve) => plain.client.whois("secure", resolve));
  assert.equal(info.secure, true);
  assert.equal(info.hostname, "127.0.0.1");
  const plainInfo = await new Promise<{ secure?: boolean }>((resolve) => secure.client.whois("plain", resolve));
  assert.equal(plainInfo.secure, undefined);

  // Exact bytes, and the certificate is the one the server reports.
  const raw = await fx.rawConnect("127.0.0.1", tlsPort, true);
  assert.equal((raw.socket as TLSSocket).getPeerCertificate().fingerprint256, fx.server.server.tlsFingerprint);
  raw.send("NICK rawtls");
  raw.send("USER rawtls 0 * :x");
  await raw.waitFor(/ 376 /);
  raw.send("WHOIS secure");
  assert.equal(await raw.waitFor(/ 671 /), ":cmymessage.local 671 rawtls secure :is using a secure connection");
  raw.send("WHOIS plain");
  await raw.waitFor(/ 318 rawtls plain /);
  assert.equal(raw.lines.filter((l) => / 671 rawtls plain /.test(l)).length, 0);

  // Both doors lead to the same chat.
  secure.client.say("#general", "over TLS");
  assert.equal((await plain.waitFor("privmsg", (e) => e.nick === "secure")).message, "over TLS");
});

test("TLS: a plain-text client on the TLS port never gets a 001 and is disconnected", async (t) => {
  const fx = await setup(t, { irc: { tlsListen: ["127.0.0.1:0"] } });
  const c = await fx.rawConnect("127.0.0.1", fx.server.tlsPort, false);
  c.send("NICK sneaky");
  c.send("USER sneaky 0 * :x");
  await c.closed;
  assert.equal(c.lines.filter((l) => / 001 /.test(l)).length, 0);
  // The server is fine afterwards, on both ports.
  const after = await fx.raw("after");
  await rawSync(after);
});

test(`addresses: one [::]:0 listener takes IPv4 (shown as 127.0.0.1, never ::ffff:) and IPv6 (shown as 0::1) clients${ipv6 ? "" : NO_V6}`, { skip: !ipv6 }, async (t) => {
  const fx = await setup(t, { irc: { listen: ["[::]:0"] } });
  const address = fx.server.server.irc.plain[0]!;
  assert.equal(address.address, "::");

  const v4 = await fx.rawConnect("127.0.0.1");
  const v6 = await fx.rawConnect("::1");
  v4.send("NICK four");
  v4.send("USER four 0 * :IPv4 user");
  assert.equal(await v4.waitFor(/ 001 /), ":cmymessage.local 001 four :Welcome to the CmyMessage IRC Network four!~four@127.0.0.1");
  await v4.waitFor(/ 376 /);
  v6.send("NICK six");
  v6.send("USER six 0 * :IPv6 user");
  assert.equal(await v6.waitFor(/ 001 /), ":cmymessage.local 001 six :Welcome to the CmyMessage IRC Network six!~six@0::1");
  await v6.waitFor(/ 376 /);

  // Others see the same hosts in JOIN, WHOIS, WHO and USERHOST.
  assert.equal(await v4.waitFor(/^:six!/), ":six!~six@0::1 JOIN #general");
  v6.send("WHOIS four");
  assert.equal(await v6.waitFor(/ 311 /), ":cmymessage.local 311 six four ~four 127.0.0.1 * :IPv4 user");
  v4.send("WHOIS six");
  assert.equal(await v4.waitFor(/ 311 /), ":cmymessage.local 311 four six ~six 0::1 * :IPv6 user");
  v4.send("WHO six");
  assert.equal(await v4.waitFor(/ 352 /), ":cmymessage.local 352 four * ~six 0::1 cmymessage.local six H :0 IPv6 user");
  v4.send("USERHOST six");
  assert.equal(await v4.waitFor(/ 302 /), ":cmymessage.local 302 four :six=+~six@0::1");
  await rawSync(v4);
  await rawSync(v6);
  for (const line of [...v4.lines, ...v6.lines]) assert.doesNotMatch(line, /::ffff:/);

  // irc-framework over IPv6 sees itself the same way.
  const fw = await fx.connect("fwsix", { host: "::1" });
  const self = await new Promise<{ hostname?: string }>((resolve) => fw.client.whois("fwsix", resolve));
  assert.equal(self.hostname, "0::1");
});

test(`addresses: WHOIS of oneself over IPv4 on [::] shows 127.0.0.1 in 311 and 338${ipv6 ? "" : NO_V6}`, { skip: !ipv6 }, async (t) => {
  const fx = await setup(t, { irc: { listen: ["[::]:0"] } });
  const v4 = await fx.raw("four", [], "127.0.0.1");
  v4.send("WHOIS four");
  assert.equal(await v4.waitFor(/ 311 /), ":cmymessage.local 311 four four ~four 127.0.0.1 * :four test");
  assert.equal(await v4.waitFor(/ 338 /), ":cmymessage.local 338 four four 127.0.0.1 :is actually using host");
});

test(`addresses: WHOIS of oneself over IPv6 keeps every parameter well-formed (338 must not start a middle parameter with ':')${ipv6 ? "" : NO_V6}`, { skip: !ipv6 }, async (t) => {
  const fx = await setup(t, { irc: { listen: ["[::]:0"] } });
  const v6 = await fx.raw("six", [], "::1");
  v6.send("WHOIS six");
  const actually = await v6.waitFor(/ 338 /);
  await v6.waitFor(/ 318 /);
  // `:server 338 six six ::1 :is actually using host` would parse as 3 parameters, the last ":1 :is actually…".
  assert.equal(actually, ":cmymessage.local 338 six six 0::1 :is actually using host");
});
