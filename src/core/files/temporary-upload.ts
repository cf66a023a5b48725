import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** The hidden temporary file an upload in progress writes to (see FileSpace.upload); never shown to users. */
export function isTemporaryUpload(name: string): boolean {
  return /^\..+\.upload-[0-9a-f]{12}$/.test(name);
}

/** A new temporary file name beside `real` (the upload's target on disk). */
export function temporaryUploadPath(real: string): string {
  return join(dirname(real), `.${basename(real)}.upload-${randomBytes(6).toString("hex")}`);
}
