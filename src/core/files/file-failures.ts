/** Why a file operation failed, in the words every door (FTP, HTTP) answers with. */
export type FileFailure =
  | "invalid-name"
  | "outside"
  | "not-found"
  | "exists"
  | "not-a-directory"
  | "is-a-directory"
  | "not-empty"
  | "read-only"
  | "quota"
  | "too-large"
  | "no-space"
  | "interrupted"
  | "io";

export type Result<T> = ({ ok: true } & T) | { ok: false; reason: FileFailure };

/** What a file-system error means to a client (ELOOP: a link that would lead out of the space). */
export function failureOf(error: unknown): FileFailure {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "not-found";
    case "EEXIST":
      return "exists";
    case "ENOTDIR":
      return "not-a-directory";
    case "EISDIR":
      return "is-a-directory";
    case "ENOTEMPTY":
      return "not-empty";
    case "ENOSPC":
    case "EDQUOT":
      return "no-space";
    case "ELOOP":
      return "outside";
    default:
      return "io";
  }
}
