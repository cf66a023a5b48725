/** The RFC 7628 client message as the OAUTHBEARER mechanism reads it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseOauthBearer } from "../../src/irc/sasl/oauthbearer.js";

const TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

test("the GS2 header, key/value pairs between ^A, the bearer token", () => {
  assert.deepEqual(parseOauthBearer(`n,,\x01auth=Bearer ${TOKEN}\x01\x01`), { token: TOKEN, authzid: "" });
  assert.deepEqual(parseOauthBearer(`n,a=alice,\x01host=irc.example.org\x01port=6697\x01auth=bearer ${TOKEN}\x01\x01`), { token: TOKEN, authzid: "alice" });
  // A client that could bind channels but thinks we cannot (y), and a saslname with escapes.
  assert.deepEqual(parseOauthBearer(`y,a=we=2Cird=3Dname,\x01auth=Bearer ${TOKEN}\x01\x01`), { token: TOKEN, authzid: "we,ird=name" });
});

test("malformed messages are refused with a reason, never a throw", () => {
  const bad = [
    "",
    `p=tls-unique,,\x01auth=Bearer ${TOKEN}\x01\x01`,
    `n,a=bad=name,\x01auth=Bearer ${TOKEN}\x01\x01`,
    `n,,auth=Bearer ${TOKEN}\x01\x01`,
    `n,,\x01auth=Bearer ${TOKEN}\x01`,
    `n,,\x01auth=Bearer ${TOKEN}`,
    "n,,\x01\x01",
    `n,,\x01host=x\x01\x01`,
    `n,,\x01auth=Basic ${TOKEN}\x01\x01`,
    `n,,\x01auth=Bearer\x01\x01`,
    `n,,\x01auth=Bearer a b\x01\x01`,
    `n,,\x01auth=Bearer ${TOKEN}\x01auth=Bearer ${TOKEN}\x01\x01`,
    `n,,\x01bad key=1\x01auth=Bearer ${TOKEN}\x01\x01`,
    `n,,\x01auth=Bearer ${TOKEN}\x00\x01\x01`,
  ];
  for (const message of bad) {
    const parsed = parseOauthBearer(message);
    assert.ok("malformed" in parsed, JSON.stringify(message));
  }
});
