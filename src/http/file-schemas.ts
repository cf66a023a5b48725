/** JSON schemas (and their TypeScript twins) of the files and shares routes. */

/** A path in the account's space: "/dir/name". Long enough for deep trees, short enough to stay cheap. */
const filePath = { type: "string", minLength: 1, maxLength: 4096, description: "A path in the account's space, e.g. /photos/cat.png" } as const;

export const pathQuery = {
  type: "object",
  additionalProperties: false,
  properties: { path: { ...filePath, default: "/" } },
} as const;
export interface PathQuery {
  path: string;
}

export const requiredPathQuery = {
  type: "object",
  required: ["path"],
  additionalProperties: false,
  properties: { path: filePath },
} as const;

export const deleteQuery = {
  type: "object",
  required: ["path"],
  additionalProperties: false,
  properties: { path: filePath, recursive: { type: "boolean", default: false, description: "Also delete a folder that is not empty, with everything in it" } },
} as const;
export interface DeleteQuery {
  path: string;
  recursive: boolean;
}

export const pathBody = {
  type: "object",
  required: ["path"],
  additionalProperties: false,
  properties: { path: filePath },
} as const;
export interface PathBody {
  path: string;
}

export const moveBody = {
  type: "object",
  required: ["from", "to"],
  additionalProperties: false,
  properties: { from: filePath, to: filePath },
} as const;
export interface MoveBody {
  from: string;
  to: string;
}

const isoTime = { type: "string", format: "date-time" } as const;

export const fileEntrySchema = {
  type: "object",
  required: ["name", "type", "size", "modified"],
  properties: {
    name: { type: "string" },
    type: { type: "string", enum: ["file", "dir"] },
    size: { type: "integer", description: "Bytes; 0 for a folder" },
    modified: isoTime,
  },
} as const;
export interface FileEntryView {
  name: string;
  type: "file" | "dir";
  size: number;
  modified: string;
}

export const usageSchema = {
  type: "object",
  required: ["usedBytes", "quotaBytes"],
  properties: { usedBytes: { type: "integer" }, quotaBytes: { type: ["integer", "null"], description: "null: no quota" } },
} as const;
export interface UsageView {
  usedBytes: number;
  quotaBytes: number | null;
}

export const fileListSchema = {
  type: "object",
  required: ["path", "entries", "usage"],
  properties: { path: { type: "string" }, entries: { type: "array", items: fileEntrySchema }, usage: usageSchema },
} as const;
export interface FileListView {
  path: string;
  entries: FileEntryView[];
  usage: UsageView;
}

export const storedFileSchema = {
  type: "object",
  required: ["path", "name", "type", "size", "modified"],
  properties: { path: { type: "string" }, ...fileEntrySchema.properties },
} as const;
export interface StoredFileView extends FileEntryView {
  path: string;
}

export const pathReplySchema = { type: "object", required: ["path"], properties: { path: { type: "string" } } } as const;

export const shareSchema = {
  type: "object",
  required: ["id", "url"],
  properties: {
    id: { type: "string", description: "128 random bits, base64url" },
    url: { type: "string", description: "/f/<id>/<name>, relative to the server" },
  },
} as const;
export interface ShareView {
  id: string;
  url: string;
}
