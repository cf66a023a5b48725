import { test } from "node:test";
import assert from "node:assert/strict";
import { isIPv6 } from "node:net";
import fc from "fast-check";
import { ircSafeHost, isLoopback, limitKey, unmapAddress } from "../../src/net/address.js";

// ── unmapAddress ──────────────────────────────────────────────────────────

test("unmapAddress turns an IPv4-mapped IPv6 address into the IPv4 address", () => {
  assert.equal(unmapAddress("::ffff:1.2.3.4"), "1.2.3.4");
  assert.equal(unmapAddress("::ffff:127.0.0.1"), "127.0.0.1");
});

test("unmapAddress leaves plain addresses alone", () => {
  assert.equal(unmapAddress("1.2.3.4"), "1.2.3.4");
  assert.equal(unmapAddress("::1"), "::1");
  assert.equal(unmapAddress("2001:db8::1"), "2001:db8::1");
  // Not a dotted IPv4 after the prefix: left as is.
  assert.equal(unmapAddress("::ffff:abcd"), "::ffff:abcd");
  assert.equal(unmapAddress("::ffff:1.2.3"), "::ffff:1.2.3");
});

test("unmapAddress of a missing address is 'unknown'", () => {
  assert.equal(unmapAddress(undefined), "unknown");
  assert.equal(unmapAddress(""), "unknown");
});

// ── limitKey ─────────────────────────────────────────────────────────────

test("limitKey of an IPv4 address is the address itself, mapped or not", () => {
  assert.equal(limitKey("1.2.3.4"), "1.2.3.4");
  assert.equal(limitKey("::ffff:1.2.3.4"), "1.2.3.4");
  assert.notEqual(limitKey("1.2.3.4"), limitKey("1.2.3.5"));
});

test("limitKey groups IPv6 addresses of the same /64", () => {
  assert.equal(limitKey("2001:db8:1:2::1"), limitKey("2001:db8:1:2::2"));
  assert.equal(limitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), limitKey("2001:db8:1:2:1:2:3:4"));
  assert.equal(limitKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
});

test("limitKey separates different /64s", () => {
  assert.notEqual(limitKey("2001:db8:1:2::1"), limitKey("2001:db8:1:3::1"));
  assert.notEqual(limitKey("2001:db8::1"), limitKey("2001:db9::1"));
  assert.notEqual(limitKey("2001:db8:0:1::"), limitKey("2001:db8::1"));
  assert.notEqual(limitKey("::1"), limitKey("1::"));
});

test("limitKey is the same for compressed, expanded, zero-padded and upper-case forms", () => {
  const forms = ["2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0:0:0:0:0:1", "2001:DB8::1", "2001:db8:0::1", "2001:db8:0:0::ff"];
  for (const form of forms) assert.equal(limitKey(form), "2001:db8:0:0::/64", form);
  assert.equal(limitKey("::"), limitKey("::1"));
  assert.equal(limitKey("fe80::1"), limitKey("fe80:0:0:0:abcd::"));
});

test("limitKey handles an embedded IPv4 tail in IPv6 addresses", () => {
  assert.equal(limitKey("64:ff9b::1.2.3.4"), limitKey("64:ff9b::102:304"));
  assert.equal(limitKey("64:ff9b::1.2.3.4"), "64:ff9b:0:0::/64");
  assert.equal(limitKey("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4::/64");
});

/** Writes eight groups in a random valid textual form: full, zero-padded or with one zero run compressed. */
function ipv6Text(groups: number[], style: number): string {
  const hex = groups.map((g) => g.toString(16));
  if (style === 0) return hex.join(":");
  if (style === 1) return groups.map((g) => g.toString(16).padStart(4, "0").toUpperCase()).join(":");
  // Compress the longest run of zero groups, if any.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestLength === 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const groups = fc.array(group, { minLength: 8, maxLength: 8 });

test("property: limitKey depends only on the first four groups, whatever the notation", () => {
  fc.assert(
    fc.property(groups, groups, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), (a, b, styleA, styleB) => {
      const textA = ipv6Text(a, styleA);
      const textB = ipv6Text(b, styleB);
      assert.ok(isIPv6(textA) && isIPv6(textB), `${textA} / ${textB}`);
      const samePrefix = a.slice(0, 4).every((g, i) => g === b[i]);
      assert.equal(limitKey(textA) === limitKey(textB), samePrefix, `${textA} vs ${textB}`);
      // The same address in another notation always has the same key.
      assert.equal(limitKey(textA), limitKey(ipv6Text(a, (styleA + 1) % 3)));
    }),
    { numRuns: 300 },
  );
});

// ── ircSafeHost / isLoopback ────────────────────────────────────────────────

test("ircSafeHost prefixes '0' to addresses starting with ':'", () => {
  assert.equal(ircSafeHost("::1"), "0::1");
  assert.equal(ircSafeHost("::ffff:1.2.3.4"), "0::ffff:1.2.3.4");
  assert.equal(ircSafeHost("1.2.3.4"), "1.2.3.4");
  assert.equal(ircSafeHost("2001:db8::1"), "2001:db8::1");
  assert.equal(ircSafeHost("host.example"), "host.example");
});

test("property: ircSafeHost never starts with ':' and only ever adds a leading '0'", () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV6(), fc.ipV4()), (address) => {
      const safe = ircSafeHost(address);
      assert.ok(!safe.startsWith(":"), safe);
      assert.ok(safe === address || safe === `0${address}`, safe);
    }),
  );
});

test("isLoopback recognises 127/8 and ::1, mapped or not", () => {
  assert.ok(isLoopback("127.0.0.1"));
  assert.ok(isLoopback("127.1.2.3"));
  assert.ok(isLoopback("::1"));
  assert.ok(isLoopback("::ffff:127.0.0.1"));
  assert.ok(!isLoopback("10.0.0.1"));
  assert.ok(!isLoopback("::2"));
  assert.ok(!isLoopback("2001:db8::1"));
});
