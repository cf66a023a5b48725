import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { USAGE } from "../../src/cli/usage.js";
import { environmentVariableNames } from "../../src/config/load.js";

// `cmymessage --help` and the README's table are where operators look for the
// environment variables: every one the loader reads must be named in both.
test("--help and the README name every CMY_* environment variable", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  for (const name of environmentVariableNames) {
    assert.ok(USAGE.includes(name), `--help does not mention ${name}`);
    assert.ok(readme.includes(`\`${name}\``), `README.md does not mention ${name}`);
  }
});

test("--help points at the web door's config keys", () => {
  for (const key of ["http.publicUrl", "http.allowedOrigins", "http.webRoot", "push.", "search.", "irc.multiline."]) {
    assert.ok(USAGE.includes(key), `--help does not mention ${key}`);
  }
});
