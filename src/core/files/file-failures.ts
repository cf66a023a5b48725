/** Why a file operation failed, in the words every door (FTP, HTTP) answers with. */
export type FileFailure =
  | "invalid-name"
  /** A name of the server's temporary upload files (the jail refuses them: they are never listed). */
  | "reserved-name"
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
  /** REST past the end of the file: nothing is there to resume from (RFC 3659 5.4). */
  | "invalid-offset"
  /** A folder moved into itself (or below itself). */
  | "into-itself"
  /** A folder moved so deep that a path below it would pass the system's limit (PATH_MAX). */
  | "too-deep"
  /** Another upload is writing into that file (in place) right now. */
  | "busy"
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
    // A name (or path) longer than the file system takes: the client's name, not our failure.
    case "ENAMETOOLONG":
      return "invalid-name";
    default:
      return "io";
  }
}
