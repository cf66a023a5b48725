/**
 * What bench/scale-data.ts made, written beside it (SQLite: in the data directory;
 * PostgreSQL: a file named after the schema) so bench/scale.ts knows the shape it
 * measures without counting 10 million rows again.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { ShapeOptions } from "./scale-shape.js";

export interface ScaleManifest {
  readonly dialect: "sqlite" | "postgres";
  /** SQLite: the data directory (holding cmymessage.db). */
  readonly dataDir: string | null;
  /** PostgreSQL: the URL with the schema's search_path, and the schema. */
  readonly url: string | null;
  readonly schema: string | null;
  readonly shape: ShapeOptions;
  /** Whether the full-text index holds every message (SQLite; PostgreSQL's GIN index always does). */
  readonly searchIndexed: boolean;
  readonly bytes: number;
  readonly messageRowsPerSecond: number;
  readonly detail: string;
}

export const MANIFEST_NAME = "scale-manifest.json";

export function writeManifest(file: string, manifest: ScaleManifest): void {
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readManifest(file: string): ScaleManifest {
  return JSON.parse(readFileSync(file, "utf8")) as ScaleManifest;
}
