import { extname } from "node:path";

export type ImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

/** Bytes needed at the start of a file to tell its image type. */
export const IMAGE_SIGNATURE_BYTES = 12;

const BY_EXTENSION: Readonly<Record<string, ImageType>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

function signatureOf(head: Buffer): ImageType | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head.length >= 6 && (head.toString("latin1", 0, 6) === "GIF87a" || head.toString("latin1", 0, 6) === "GIF89a")) return "image/gif";
  if (head.length >= 12 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return null;
}

/**
 * The image type of a file named `name` starting with `head`, when its extension
 * and its first bytes agree; null otherwise. Both must: a name alone is a claim,
 * and bytes alone would let a file called "x.html" be shown as what it sniffs as.
 */
export function imageTypeOf(name: string, head: Buffer): ImageType | null {
  const claimed = BY_EXTENSION[extname(name).toLowerCase()];
  return claimed !== undefined && signatureOf(head) === claimed ? claimed : null;
}

/** The extension for an upload that came with a type but no name. */
export function extensionForType(type: string): string {
  const known: Readonly<Record<string, string>> = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
  };
  return known[type.split(";")[0]!.trim().toLowerCase()] ?? "";
}
