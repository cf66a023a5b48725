/**
 * Every fuzz target over its seed corpus and every input that once found a bug
 * (fuzz/regressions/<target>/), so the normal test run replays each past crash. A
 * failure names the input and prints what the fuzzer printed (docs/fuzzing.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readInputs, targetDirectories } from "../../fuzz/engine/corpus-files.js";
import { regress } from "../../fuzz/engine/run.js";
import { targets } from "../../fuzz/targets/index.js";

for (const target of targets) {
  test(`fuzz target ${target.name}: its corpus and past findings run without a finding`, async () => {
    const { corpus, regressions } = targetDirectories(target.name);
    assert.ok(readInputs(corpus).length > 0, `fuzz/corpus/${target.name}/ holds no seed inputs`);
    const printed: string[] = [];
    const failed = await regress(target, { timeoutMs: 10_000, log: (line) => printed.push(line) });
    assert.equal(failed, null, printed.join("\n"));
    assert.ok(printed.some((line) => line.includes(`${readInputs(corpus).length + readInputs(regressions).length} inputs, no finding`)), printed.join("\n"));
  });
}
