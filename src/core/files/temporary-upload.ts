import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";

/**
 * The hidden temporary file an upload in progress writes to (see FileSpace.upload); never
 * shown to users. `.upload-` and 16 hex digits; before, `.<target's name>.upload-` and 12,
 * which a target name near the file system's 255 bytes made too long to create.
 */
export function isTemporaryUpload(name: string): boolean {
  return /^\.upload-[0-9a-f]{16}$/.test(name) || /^\..+\.upload-[0-9a-f]{12}$/.test(name);
}

/** A new temporary file name beside `real` (the upload's target on disk): the same length whatever the target's name. */
export function temporaryUploadPath(real: string): string {
  return join(dirname(real), `.upload-${randomBytes(8).toString("hex")}`);
}
