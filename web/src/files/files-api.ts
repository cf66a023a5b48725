/**
 * The account's file space over the HTTP API (docs/files.md, "HTTP"): the same files FTP shows.
 * Uploads are not here: they need XMLHttpRequest for progress events (see upload.ts).
 */
import type { AuthedFetch } from "../api/authed-fetch.js";
import { expectOk } from "../api/problem-detail.js";

export interface FileEntry {
  readonly name: string;
  readonly type: "file" | "dir";
  /** Bytes; 0 for folders. */
  readonly size: number;
  /** ISO 8601. */
  readonly modified: string;
}

export interface FileListing {
  readonly path: string;
  readonly entries: readonly FileEntry[];
  readonly usage: { readonly usedBytes: number; readonly quotaBytes: number | null };
}

export interface Share {
  readonly id: string;
  /** Same-origin path `/f/<id>/<name>`. */
  readonly url: string;
}

const JSON_HEADERS = { "content-type": "application/json" };

function query(path: string): string {
  return `?path=${encodeURIComponent(path)}`;
}

/** Trusts the server's shape but not blindly: a listing that is not one is an error, not a crash later. */
function asListing(value: unknown): FileListing {
  const listing = value as Partial<FileListing> | null;
  if (!listing || typeof listing.path !== "string" || !Array.isArray(listing.entries)) {
    throw new Error("The server sent a folder listing this client does not understand.");
  }
  const usage = listing.usage ?? { usedBytes: 0, quotaBytes: null };
  return { path: listing.path, entries: listing.entries, usage };
}

export interface FilesApi {
  list(path: string): Promise<FileListing>;
  download(path: string): Promise<Blob>;
  move(from: string, to: string): Promise<void>;
  /** A file, or a folder with everything in it when `recursive`. */
  remove(path: string, recursive: boolean): Promise<void>;
  createFolder(path: string): Promise<void>;
  share(path: string): Promise<Share>;
}

export function filesApi(fetch: AuthedFetch): FilesApi {
  return {
    async list(path) {
      const response = await expectOk(await fetch(`/api/v1/files${query(path)}`));
      return asListing(await response.json());
    },
    async download(path) {
      const response = await expectOk(await fetch(`/api/v1/files/content${query(path)}`));
      return response.blob();
    },
    async move(from, to) {
      await expectOk(await fetch("/api/v1/files/move", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ from, to }) }));
    },
    async remove(path, recursive) {
      await expectOk(await fetch(`/api/v1/files${query(path)}${recursive ? "&recursive=true" : ""}`, { method: "DELETE" }));
    },
    async createFolder(path) {
      await expectOk(await fetch("/api/v1/files/folders", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ path }) }));
    },
    async share(path) {
      const response = await expectOk(await fetch("/api/v1/shares", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ path }) }));
      const share = (await response.json()) as Partial<Share> | null;
      if (!share || typeof share.url !== "string") throw new Error("The server did not send the share link.");
      return { id: String(share.id ?? ""), url: share.url };
    },
  };
}
