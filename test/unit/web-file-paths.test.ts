import { test } from "node:test";
import assert from "node:assert/strict";
import { crumbs, joinPath, nameProblem } from "../../web/src/files/file-paths.js";
import { formatBytes } from "../../web/src/files/format.js";

test("paths of the file space are built from the root down", () => {
  assert.equal(joinPath("/", "a.txt"), "/a.txt");
  assert.equal(joinPath("/docs/2024", "a.txt"), "/docs/2024/a.txt");
  assert.deepEqual(crumbs("/"), [{ label: "Home", path: "/" }]);
  assert.deepEqual(crumbs("/docs/2024"), [
    { label: "Home", path: "/" },
    { label: "docs", path: "/docs" },
    { label: "2024", path: "/docs/2024" },
  ]);
});

test("names that cannot name a file are refused before any request, with a reason", () => {
  for (const bad of ["", "   ", "a/b", ".", "..", "tab\there", "nul\u0000"]) assert.ok(nameProblem(bad), JSON.stringify(bad));
  for (const good of ["notes.txt", ".hidden", "é 漢字 😀", "..dots"]) assert.equal(nameProblem(good), null, good);
});

test("sizes read in binary multiples", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), `${new Intl.NumberFormat().format(1023)} B`);
  assert.equal(formatBytes(1536), `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(1.5)} KB`);
  assert.equal(formatBytes(5 * 1024 * 1024), "5 MB");
});
