import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatListenAddress, parseListenAddress, parseListenList, type ListenAddress } from "../../src/config/listen-address.js";

function ok(text: string): ListenAddress {
  const parsed = parseListenAddress(text);
  assert.equal(typeof parsed, "object", `expected ${JSON.stringify(text)} to parse, got ${JSON.stringify(parsed)}`);
  return parsed as ListenAddress;
}

function error(text: string): string {
  const parsed = parseListenAddress(text);
  assert.equal(typeof parsed, "string", `expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(parsed)}`);
  return parsed as string;
}

test("IPv4 host:port", () => {
  assert.deepEqual(ok("0.0.0.0:6667"), { host: "0.0.0.0", port: 6667 });
  assert.deepEqual(ok("127.0.0.1:1"), { host: "127.0.0.1", port: 1 });
  assert.deepEqual(ok("192.0.2.10:65535"), { host: "192.0.2.10", port: 65535 });
  assert.deepEqual(ok("0.0.0.0:0"), { host: "0.0.0.0", port: 0 });
});

test("bracketed IPv6 [addr]:port; the host is given without brackets", () => {
  assert.deepEqual(ok("[::]:6667"), { host: "::", port: 6667 });
  assert.deepEqual(ok("[::1]:6697"), { host: "::1", port: 6697 });
  assert.deepEqual(ok("[2001:db8::42]:7000"), { host: "2001:db8::42", port: 7000 });
  assert.deepEqual(ok("[::ffff:127.0.0.1]:80"), { host: "::ffff:127.0.0.1", port: 80 });
});

test("host names", () => {
  assert.deepEqual(ok("localhost:6667"), { host: "localhost", port: 6667 });
  assert.deepEqual(ok("irc.example.org:6697"), { host: "irc.example.org", port: 6697 });
});

test("surrounding whitespace is trimmed; a leading zero in the port is fine", () => {
  assert.deepEqual(ok("  localhost:6667  "), { host: "localhost", port: 6667 });
  assert.deepEqual(ok("localhost:080"), { host: "localhost", port: 80 });
});

test("an unbracketed IPv6 address is refused with a hint to use brackets", () => {
  assert.match(error("::1:6667"), /bracket/i);
  assert.match(error("2001:db8::1:6667"), /bracket/i);
  assert.match(error(":::6667"), /bracket|host:port/i);
});

test("brackets around something that is not IPv6 are refused", () => {
  assert.match(error("[127.0.0.1]:80"), /IPv6/);
  assert.match(error("[localhost]:80"), /IPv6/);
  assert.match(error("[zz::zz]:80"), /IPv6/);
});

test("a missing host or port is refused", () => {
  assert.match(error("localhost"), /host:port/);
  assert.match(error("6667"), /host:port/);
  assert.match(error(":6667"), /host:port/);
  assert.match(error(""), /host:port/);
  assert.match(error("localhost:"), /port is missing/);
});

test("a bracketed IPv6 address without a port, or with one that is not a number, says so (not that brackets are needed)", () => {
  assert.match(error("[::1]"), /"\[::1\]": the port is missing/);
  assert.match(error("[::1]:"), /"\[::1\]:": the port is missing/);
  assert.match(error("[2001:db8::1]"), /port is missing \(write \[2001:db8::1\]:<port>\)/);
  assert.match(error("[::1]:abc"), /"\[::1\]:abc": the port must be a number/);
  assert.match(error("[::1]x80"), /expected \[addr\]:port/);
  for (const text of ["[::1]", "[::1]:", "[::1]:abc"]) assert.doesNotMatch(error(text), /bracket/, text);
});

test("brackets that do not hold an IPv6 address at the start are refused", () => {
  assert.match(error("[]:80"), /IPv6/);
  assert.match(error("a]:80"), /IPv6/);
});

test("bad ports are refused and the entry is named in the message", () => {
  assert.match(error("localhost:abc"), /"localhost:abc".*port must be a number/);
  assert.match(error("localhost:-1"), /port/);
  assert.match(error("localhost:+80"), /port/);
  assert.match(error("localhost:6 7"), /port/);
  assert.match(error("localhost:123456"), /port/);
  assert.match(error("localhost:65536"), /0 to 65535/);
  assert.match(error("[::1]:99999"), /0 to 65535/);
  assert.match(error("0.0.0.0:1e3"), /port/);
});

test("parseListenList splits on commas, trims and drops empty entries", () => {
  assert.deepEqual(parseListenList("a:1, b:2 ,,c:3 "), ["a:1", "b:2", "c:3"]);
  assert.deepEqual(parseListenList("[::1]:1,0.0.0.0:2"), ["[::1]:1", "0.0.0.0:2"]);
});

test("parseListenList of an empty or blank string is no listener at all", () => {
  assert.deepEqual(parseListenList(""), []);
  assert.deepEqual(parseListenList("  ,  "), []);
});

test("formatListenAddress brackets IPv6 only", () => {
  assert.equal(formatListenAddress({ host: "::", port: 6667 }), "[::]:6667");
  assert.equal(formatListenAddress({ host: "127.0.0.1", port: 6667 }), "127.0.0.1:6667");
  assert.equal(formatListenAddress({ host: "localhost", port: 1 }), "localhost:1");
});

test("property: parse(format(address)) gives the address back for IPv4, IPv6 and host names", () => {
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
  fc.assert(
    fc.property(host, fc.integer({ min: 0, max: 65535 }), (h, port) => {
      assert.deepEqual(parseListenAddress(formatListenAddress({ host: h, port })), { host: h, port });
    }),
  );
});

test("property: any port above 65535 is refused", () => {
  fc.assert(
    fc.property(fc.integer({ min: 65536, max: 99999 }), (port) => {
      assert.equal(typeof parseListenAddress(`0.0.0.0:${port}`), "string");
    }),
  );
});
