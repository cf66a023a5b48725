import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CHANMODES, CHANNEL_MODE_LETTERS, parseChannelModes } from "../../src/irc/modes.js";

const parse = (modes: string, params: string[] = [], max = 6) => parseChannelModes(modes, params, max);

test("flags turn on and off; the sign carries over until the next sign", () => {
  const parsed = parse("+nt-m+si");
  assert.deepEqual(parsed.requests, [
    { kind: "flag", mode: "no-external", on: true },
    { kind: "flag", mode: "topic-lock", on: true },
    { kind: "flag", mode: "moderated", on: false },
    { kind: "flag", mode: "secret", on: true },
    { kind: "flag", mode: "invite-only", on: true },
  ]);
  assert.deepEqual(parsed.unknown, []);
  assert.deepEqual(parsed.missingParam, []);
  assert.deepEqual(parsed.listQueries, []);
});

test("a mode string without a sign means '+'", () => {
  assert.deepEqual(parse("i").requests, [{ kind: "flag", mode: "invite-only", on: true }]);
  assert.deepEqual(parse("o", ["alice"]).requests, [{ kind: "member", mode: "op", on: true, nick: "alice" }]);
});

test("+o-v take their nick params in order", () => {
  const parsed = parse("+o-v", ["alice", "bob"]);
  assert.deepEqual(parsed.requests, [
    { kind: "member", mode: "op", on: true, nick: "alice" },
    { kind: "member", mode: "voice", on: false, nick: "bob" },
  ]);
});

test("+o or +v without a nick is a missing param", () => {
  const parsed = parse("+ov");
  assert.deepEqual(parsed.requests, []);
  assert.deepEqual(parsed.missingParam, ["o", "v"]);
});

test("list modes with a mask are requests; without one they are list queries", () => {
  assert.deepEqual(parse("+b", ["*!*@bad"]).requests, [{ kind: "list", mode: "ban", on: true, mask: "*!*@bad" }]);
  assert.deepEqual(parse("-e", ["x"]).requests, [{ kind: "list", mode: "exception", on: false, mask: "x" }]);
  assert.deepEqual(parse("+I", ["y"]).requests, [{ kind: "list", mode: "invite-exception", on: true, mask: "y" }]);
  const query = parse("+b");
  assert.deepEqual(query.requests, []);
  assert.deepEqual(query.listQueries, ["ban"]);
  assert.deepEqual(query.missingParam, []);
});

test("each list is queried once however often its letter appears", () => {
  assert.deepEqual(parse("bbeIIb").listQueries, ["ban", "exception", "invite-exception"]);
});

test("+k sets a key; a missing or invalid key is a missing param", () => {
  assert.deepEqual(parse("+k", ["s3cret"]).requests, [{ kind: "key", on: true, key: "s3cret" }]);
  for (const bad of [undefined, "", "a b", "a,b", "a:b", "x".repeat(33)]) {
    const parsed = parse("+k", bad === undefined ? [] : [bad]);
    assert.deepEqual(parsed.requests, [], JSON.stringify(bad));
    assert.deepEqual(parsed.missingParam, ["k"], JSON.stringify(bad));
  }
  assert.deepEqual(parse("+k", ["x".repeat(32)]).requests, [{ kind: "key", on: true, key: "x".repeat(32) }]);
});

test("-k removes the key whether or not a param is given, and consumes one if there is one", () => {
  assert.deepEqual(parse("-k").requests, [{ kind: "key", on: false, key: "" }]);
  assert.deepEqual(parse("-k+o", ["oldkey", "alice"]).requests, [
    { kind: "key", on: false, key: "" },
    { kind: "member", mode: "op", on: true, nick: "alice" },
  ]);
});

test("+l needs a positive integer; -l takes no param", () => {
  assert.deepEqual(parse("+l", ["25"]).requests, [{ kind: "limit", on: true, limit: 25 }]);
  for (const bad of [[], ["0"], ["-3"], ["abc"], ["1.5"], [""]]) {
    const parsed = parse("+l", bad);
    assert.deepEqual(parsed.requests, [], JSON.stringify(bad));
    assert.deepEqual(parsed.missingParam, ["l"], JSON.stringify(bad));
  }
  // -l does not eat the nick meant for +o.
  assert.deepEqual(parse("-l+o", ["alice"]).requests, [
    { kind: "limit", on: false, limit: 0 },
    { kind: "member", mode: "op", on: true, nick: "alice" },
  ]);
});

test("unknown letters are reported once each and take no param", () => {
  const parsed = parse("+xoyx-zq", ["alice"]);
  assert.deepEqual(parsed.unknown, ["x", "y", "z", "q"]);
  assert.deepEqual(parsed.requests, [{ kind: "member", mode: "op", on: true, nick: "alice" }]);
});

test("user-mode letters that are not channel modes are unknown", () => {
  assert.deepEqual(parse("+w").unknown, ["w"]);
});

test("at most maxWithParam parameter changes are honoured; params beyond the cap are still consumed", () => {
  const parsed = parse("+ooov", ["a", "b", "c", "d"], 2);
  assert.deepEqual(parsed.requests, [
    { kind: "member", mode: "op", on: true, nick: "a" },
    { kind: "member", mode: "op", on: true, nick: "b" },
  ]);
  assert.deepEqual(parsed.missingParam, []);
});

test("flags, -l and list queries do not count against maxWithParam", () => {
  const parsed = parse("+ntob-l+vb", ["a", "*!*@x", "c"], 3);
  assert.deepEqual(parsed.requests, [
    { kind: "flag", mode: "no-external", on: true },
    { kind: "flag", mode: "topic-lock", on: true },
    { kind: "member", mode: "op", on: true, nick: "a" },
    { kind: "list", mode: "ban", on: true, mask: "*!*@x" },
    { kind: "limit", on: false, limit: 0 },
    { kind: "member", mode: "voice", on: true, nick: "c" },
  ]);
  assert.deepEqual(parsed.listQueries, ["ban"]);
});

test("+k, +l and list changes count against maxWithParam", () => {
  const parsed = parse("+klb", ["key", "5", "*!*@x"], 1);
  assert.deepEqual(parsed.requests, [{ kind: "key", on: true, key: "key" }]);
});

test("the letter tables agree with CHANMODES", () => {
  const [list, always, whenSet, flags] = CHANMODES.split(",");
  assert.deepEqual([...list!].sort(), Object.values(CHANNEL_MODE_LETTERS.list).sort());
  assert.equal(always, "k");
  assert.equal(whenSet, "l");
  assert.deepEqual([...flags!].sort(), Object.values(CHANNEL_MODE_LETTERS.flag).sort());
});

test("property: never more than maxWithParam parameter requests, and every param-taking request uses a given param", () => {
  const letters = fc.string({ unit: fc.constantFrom("+", "-", "o", "v", "b", "e", "I", "k", "l", "n", "t", "i", "m", "s", "x"), maxLength: 20 });
  const params = fc.array(fc.constantFrom<string>("alice", "bob", "*!*@h", "7", "key", "0"), { maxLength: 10 });
  fc.assert(
    fc.property(letters, params, fc.integer({ min: 1, max: 8 }), (modeText, given, max) => {
      const parsed = parseChannelModes(modeText, given, max);
      const withParam = parsed.requests.filter((r) => r.kind === "member" || r.kind === "list" || (r.kind === "key" && r.on) || (r.kind === "limit" && r.on));
      assert.ok(withParam.length <= max, `${withParam.length} > ${max}`);
      for (const request of parsed.requests) {
        if (request.kind === "member") assert.ok(given.includes(request.nick));
        if (request.kind === "list") assert.ok(given.includes(request.mask));
        if (request.kind === "key" && request.on) assert.ok(given.includes(request.key));
        if (request.kind === "limit" && request.on) assert.ok(given.includes(String(request.limit)));
      }
    }),
  );
});
