import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
import type { Logger } from "pino";

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
};

/** Worth compressing: text formats (images and fonts are compressed already). */
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".map", ".webmanifest", ".txt", ".svg", ".wasm"]);
/** Smaller files gain less than the bytes of the extra headers. */
const MIN_COMPRESS_BYTES = 1024;

/** A path segment served as it is: no encoding to undo, no `..`, no Fastify route syntax (`:`, `*`). */
const SAFE_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;

export type ContentEncoding = "br" | "gzip";

export interface StaticFile {
  /** The URL path it is served at, e.g. `/assets/app-abc123.js`. */
  readonly url: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** Strong validator of the identity body; each encoding gets its own suffix. */
  readonly etag: string;
  readonly encoded: ReadonlyMap<ContentEncoding, Buffer>;
}

async function compressed(body: Buffer): Promise<Map<ContentEncoding, Buffer>> {
  const [br, gz] = await Promise.all([
    // Quality 9 instead of 11: nearly as small, a fraction of the start-up time.
    brotli(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    gzipAsync(body, { level: 9 }),
  ]);
  const out = new Map<ContentEncoding, Buffer>();
  // Kept only when it saves something worth the client's decoding.
  if (br.length < body.length * 0.9) out.set("br", br);
  if (gz.length < body.length * 0.9) out.set("gzip", gz);
  return out;
}

async function load(path: string, url: string): Promise<StaticFile> {
  const body = await readFile(path);
  const extension = extname(path).toLowerCase();
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  const encoded = COMPRESSIBLE.has(extension) && body.length >= MIN_COMPRESS_BYTES ? await compressed(body) : new Map<ContentEncoding, Buffer>();
  return { url, contentType: CONTENT_TYPES[extension] ?? "application/octet-stream", body, etag, encoded };
}

/**
 * Reads every file under `root` into memory, once, at start: a request is answered
 * from this map and no part of a URL ever becomes a file-system path, so there is
 * nothing to traverse. Returns null when `root` does not exist (the client is not
 * built). Dot files, links and names that would need URL encoding are left out.
 */
export async function loadStaticFiles(root: string, log: Logger): Promise<Map<string, StaticFile> | null> {
  const files = new Map<string, StaticFile>();
  const walk = async (dir: string, url: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const loads: Array<Promise<void>> = [];
    for (const entry of entries) {
      if (!SAFE_SEGMENT.test(entry.name)) {
        if (!entry.name.startsWith(".")) log.warn({ name: join(dir, entry.name) }, "web client file not served: its name needs URL encoding");
        continue;
      }
      const path = join(dir, entry.name);
      if (entry.isDirectory()) loads.push(walk(path, `${url}${entry.name}/`));
      else if (entry.isFile()) loads.push(load(path, `${url}${entry.name}`).then((file) => void files.set(file.url, file)));
    }
    await Promise.all(loads);
  };
  try {
    await walk(root, "/");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return files;
}

/** The body to send for an Accept-Encoding header: brotli, then gzip, else as it is. */
export function pickEncoding(file: StaticFile, acceptEncoding: string | undefined): { body: Buffer; encoding: ContentEncoding | null; etag: string } {
  if (acceptEncoding && file.encoded.size > 0) {
    const accepted = acceptedEncodings(acceptEncoding);
    for (const encoding of ["br", "gzip"] as const) {
      const body = file.encoded.get(encoding);
      if (body && accepted.has(encoding)) return { body, encoding, etag: `${file.etag.slice(0, -1)}-${encoding}"` };
    }
  }
  return { body: file.body, encoding: null, etag: file.etag };
}

/** Codings named in Accept-Encoding without `q=0`. */
function acceptedEncodings(header: string): Set<string> {
  const accepted = new Set<string>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const refused = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
    if (name && !refused) accepted.add(name.trim());
  }
  return accepted;
}

/**
 * If-None-Match against a file: any of its representations (identity, br, gzip) is
 * the same content, so a client that holds any of them may keep it. Weak
 * comparison, as RFC 9110 §13.1.2 asks for this header.
 */
export function notModified(file: StaticFile, ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  const core = file.etag.slice(1, -1);
  for (const raw of ifNoneMatch.split(",")) {
    const tag = raw.trim().replace(/^W\//, "");
    if (tag === "*") return true;
    if (!tag.startsWith('"') || !tag.endsWith('"')) continue;
    const value = tag.slice(1, -1);
    if (value === core || value === `${core}-br` || value === `${core}-gzip`) return true;
  }
  return false;
}
