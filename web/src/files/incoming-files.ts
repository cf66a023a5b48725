/**
 * Files that arrive by drag and drop or by pasting. Folders cannot be uploaded as such (the API takes
 * one file per request), so they are counted and reported instead of being sent as empty files.
 */

export interface IncomingFile {
  readonly file: Blob;
  readonly name: string;
}

export interface Incoming {
  readonly files: IncomingFile[];
  readonly skippedFolders: number;
}

/** The files of a drop or paste; `now` names clipboard images, which come without a real name. */
export function incomingFiles(data: DataTransfer, now: Date): Incoming {
  const files: IncomingFile[] = [];
  let skippedFolders = 0;
  const items = Array.from(data.items ?? []).filter((item) => item.kind === "file");
  if (items.length > 0) {
    for (const item of items) {
      // webkitGetAsEntry is the only way to tell a dropped folder from a file; it is null for
      // clipboard items and script-made DataTransfers, which never hold folders.
      const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
      if (entry?.isDirectory) {
        skippedFolders += 1;
        continue;
      }
      const file = item.getAsFile();
      if (file) files.push({ file, name: incomingName(file, now) });
    }
  } else {
    for (const file of Array.from(data.files)) files.push({ file, name: incomingName(file, now) });
  }
  return { files, skippedFolders };
}

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };

/**
 * A pasted screenshot is called "image.png" by every browser; uploading several would replace each
 * other, so such files get a dated name ("pasted-2024-05-01-120301.png"). Real names are kept.
 */
export function incomingName(file: Blob & { name?: string }, now: Date): string {
  const name = file.name ?? "";
  if (name !== "" && !/^image\.[a-z0-9]+$/iu.test(name)) return name;
  const pad = (value: number) => String(value).padStart(2, "0");
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const extension = EXTENSIONS[file.type] ?? (name.split(".").pop() || "bin");
  return `pasted-${stamp}.${extension}`;
}

/** Whether a drag carries files (and not, say, selected text), so the view offers itself as a target. */
export function dragHasFiles(data: DataTransfer | null): boolean {
  return data !== null && Array.from(data.types).includes("Files");
}
