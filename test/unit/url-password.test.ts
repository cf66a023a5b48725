import { test } from "node:test";
import assert from "node:assert/strict";
import { withoutPassword } from "../../src/url-password.js";

test("a URL's password is masked wherever a driver would read one from", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["", ""],
    ["postgres://cmy:hunter2@db:5432/cmy", "postgres://cmy:***@db:5432/cmy"],
    ["postgres://app@db/cmy?password=hunter2", "postgres://app@db/cmy?password=***"],
    ["redis://default:s3cret@r:6379/1?password=alsosecret", "redis://default:***@r:6379/1?password=***"],
    ["rediss://:onlypass@r:6380", "rediss://:***@r:6380"],
    // Taken by pg (a socket directory as host), refused by the WHATWG parser: masked by pattern.
    ["postgres://u:p@/db?host=/run/postgresql&Password=x", "postgres://u:***@/db?host=/run/postgresql&Password=***"],
    ["postgres://u@h/db?sslmode=require", "postgres://u@h/db?sslmode=require"],
  ];
  for (const [url, shown] of cases) assert.equal(withoutPassword(url), shown, url);
});
