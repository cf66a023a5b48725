import { test } from "node:test";
import assert from "node:assert/strict";
import { isPublicAddress } from "../../src/net/public-address.js";

test("public unicast addresses are public", () => {
  for (const address of ["8.8.8.8", "1.1.1.1", "142.250.74.46", "2a00:1450:4007:80e::200a", "2606:4700::6810:84e5", "64:ff9b::808:808", "2002:808:808::1"]) {
    assert.equal(isPublicAddress(address), true, address);
  }
});

test("loopback, private, CGNAT, link-local, multicast, reserved and documentation addresses are not", () => {
  for (const address of [
    "127.0.0.1", "127.255.0.9", "0.0.0.0", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "224.0.0.1", "239.1.2.3", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
    "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1", "100::1", "2001::1", "2001:2::1", "2001:2:0:ffff::1",
  ]) {
    assert.equal(isPublicAddress(address), false, address);
  }
});

test("IPv4 inside IPv6 is judged by the IPv4 address it reaches (mapped, NAT64, 6to4)", () => {
  for (const address of ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:7f00:1", "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:c0a8:101::1", "::127.0.0.1", "64:ff9b:1::a00:1", "64:ff9b:1::808:808", "::ffff:0:7f00:1", "::ffff:0:808:808"]) {
    assert.equal(isPublicAddress(address), false, address);
  }
  assert.equal(isPublicAddress("::ffff:8.8.8.8"), true);
  assert.equal(isPublicAddress("2001:3::1"), true, "next to the benchmarking /48, public");
});

test("anything that is not an IP address is not public", () => {
  for (const text of ["localhost", "example.org", "", "1.2.3", "fe80::1%eth0", "[::1]"]) assert.equal(isPublicAddress(text), false, text);
});
