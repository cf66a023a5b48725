import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readConfigFile, validateConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";

/** The README, --help and the unknown-key error all send operators to config.example.yaml for every key and its default. */
const EXAMPLE = fileURLToPath(new URL("../../config.example.yaml", import.meta.url));

/** Every value that is not a section, by its dotted path (a list is one value). */
function leaves(value: unknown, path: readonly string[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, [...path, key], out);
  } else out.set(path.join("."), value);
  return out;
}

test("config.example.yaml names every setting, each with its default", async () => {
  const written = await readConfigFile(EXAMPLE);
  const read = leaves(validateConfig(written, EXAMPLE));
  const writtenPaths = [...leaves(written).keys()];
  for (const [path, fallback] of leaves(configSchema.parse({}))) {
    assert.ok(
      writtenPaths.some((p) => p === path || p.startsWith(`${path}.`)),
      `${path} is not in config.example.yaml`,
    );
    assert.deepEqual(read.get(path), fallback, `${path}: the example's value is not the default`);
  }
});
