import { dirname, posix, resolve, sep } from "node:path";
import { existsSync, readlinkSync } from "node:fs";
import { lstat, readlink, realpath } from "node:fs/promises";
import { isTemporaryUpload } from "./temporary-upload.js";

/** A path inside an account's space: `virtual` as the user sees it ("/docs/a.txt"), `real` on disk. */
export interface JailedPath {
  readonly virtual: string;
  /** Ends in the separator when the user's path named a folder ("a.txt/"): the kernel then refuses a file there (ENOTDIR). */
  readonly real: string;
}

/** "reserved-name": a name of the server's temporary upload files, told apart so a door can say why (see `resolveVirtual`). */
export type JailFailure = "invalid-name" | "reserved-name" | "outside";

/**
 * The one function that turns a user-supplied path into a path inside `root`.
 *
 * The user's path is resolved against its virtual working directory with POSIX
 * rules, anchored at "/" — so "..", "../../..", "/etc/passwd" or "a/../../b" can
 * never climb above the root: "/.." is "/". Nothing is decoded (percent-encoding
 * and backslashes are ordinary characters on this filesystem); names are put in
 * Unicode NFC so one name has one spelling (see `resolveSpelling` for names already
 * on disk in another one). NUL and control characters are refused ("invalid-name"),
 * and so are the names of the server's own temporary upload files ("reserved-name"):
 * a client could neither see nor list what it made under one. A path ending in "/"
 * (or "/.") names a folder, as in POSIX: `resolveSpelling` keeps a trailing separator on its `real`, so a file there is refused by the kernel.
 * Symbolic links are checked separately (`confineRealPath`), on the real disk.
 */
export function resolveVirtual(root: string, cwd: string, input: string): JailedPath | JailFailure {
  return resolveSpelledAs(root, cwd, input, (text) => text.normalize("NFC"));
}

function resolveSpelledAs(root: string, cwd: string, input: string, spell: (text: string) => string): JailedPath | JailFailure {
  // Control characters (NUL, CR, LF…) have no place in a file name and would corrupt replies.
  if (/[\u0000-\u001f\u007f]/.test(input)) return "invalid-name";
  const joined = input.startsWith("/") ? input : posix.join(cwd, input);
  const virtual = posix.normalize(spell(`/${joined}`)).replace(/(.)\/+$/, "$1");
  // posix.normalize keeps a leading ".." only for relative paths; ours is absolute, so this
  // cannot happen — but the jail is too important to rest on that alone.
  const names = virtual.split("/");
  if (names.includes("..")) return "outside";
  // Judged on the resolved names: "x/.upload-…/.." is "/x", and no temporary file is named.
  if (names.some(isTemporaryUpload)) return "reserved-name";
  const real = virtual === "/" ? root : root + names.join(sep);
  return { virtual, real };
}

/** Whether `input` can only name a folder: it ends in "/" or "/." (as "notes.txt/" is no way to name a file in POSIX). */
function namesFolder(input: string): boolean {
  return /(^|\/)\.?$/.test(input) && input !== "";
}

/**
 * `resolveVirtual`, but a name that is on disk exactly as the user gave it and not in NFC
 * (a file copied from macOS, a restored backup: NFD) is taken as it is, within the same jail:
 * for each part of the path that NFC would change, the NFC spelling is used when it exists
 * or when neither does (so new names are made in NFC), the given one when only it exists.
 * A path already in NFC (every ASCII one) costs no look at the disk.
 */
export async function resolveSpelling(root: string, cwd: string, input: string): Promise<JailedPath | JailFailure> {
  const normal = resolveVirtual(root, cwd, input);
  if (typeof normal === "string") return normal;
  const folder = namesFolder(input) && normal.virtual !== "/" ? sep : "";
  const given = resolveSpelledAs(root, cwd, input, (text) => text);
  if (typeof given === "string" || given.virtual === normal.virtual) return { virtual: normal.virtual, real: normal.real + folder };
  const normalNames = normal.virtual.split("/");
  const givenNames = given.virtual.split("/");
  // Both come from the same path: the same number of parts, only their spelling differs.
  if (normalNames.length !== givenNames.length) return { virtual: normal.virtual, real: normal.real + folder };
  const chosen: string[] = [];
  for (let i = 0; i < normalNames.length; i++) {
    const [nfc, exact] = [normalNames[i]!, givenNames[i]!];
    if (nfc !== exact && !(await present(root, [...chosen, nfc])) && (await present(root, [...chosen, exact]))) chosen.push(exact);
    else chosen.push(nfc);
  }
  const virtual = chosen.join("/") || "/";
  return { virtual, real: root + chosen.join(sep) + folder };
}

/** Whether anything (a link too) is at the virtual path made of `names` (the first one empty: the root). */
async function present(root: string, names: readonly string[]): Promise<boolean> {
  return lstat(root + names.join(sep)).then(
    () => true,
    () => false,
  );
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Follows symbolic links of the deepest existing part of `real` and checks it is
 * still inside `root`. A link placed in the space that points outside it (by an
 * administrator, a shared volume, another service) is refused like "..". A dangling
 * link is followed by hand (its target read and checked the same way), so a link to
 * a place outside that does not exist yet is refused too, not waved through because
 * only its parent could be resolved. `realRoot`, when the caller already knows it
 * (a FileSpace resolves its root once), spares a realpath of the root per call.
 */
export async function confineRealPath(root: string, real: string, realRoot?: string): Promise<boolean> {
  realRoot ??= await realpath(root);
  let probe = real;
  let linksFollowed = 0;
  for (;;) {
    try {
      const resolved = await realpath(probe);
      return inside(realRoot, resolved);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A name too long to exist is judged by the folder it would be in (creating it then fails as an invalid name).
      if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG") return false;
      const link = await readlink(probe).catch(() => null);
      if (link !== null) {
        // The kernel gives up after 40 links (ELOOP); so do we.
        if (++linksFollowed > 40) return false;
        probe = resolve(dirname(probe), link);
        continue;
      }
      const parent = dirname(probe);
      if (parent === probe) return false;
      probe = parent;
    }
  }
}

/** Where the kernel shows what each open descriptor of this process refers to (Linux); null without /proc. */
const DESCRIPTOR_LINKS = existsSync("/proc/self/fd") ? "/proc/self/fd" : null;

/**
 * Whether the file open on `fd` lies inside `realRoot` (the space's root with its own links
 * resolved), read from the path the kernel records for the descriptor: the place the open
 * actually reached, every link on the way followed. This proves the jail for a file already
 * opened (RETR, an HTTP download) without a realpath before the open, and without the window
 * between that check and the open. Synchronous on purpose: /proc answers from the kernel's
 * dentry cache and never waits for a disk, so a thread-pool round trip would cost more than
 * the call. Null when it cannot tell (no /proc): the caller checks the path instead.
 */
export function descriptorInside(realRoot: string, fd: number): boolean | null {
  if (DESCRIPTOR_LINKS === null) return null;
  let target: string;
  try {
    target = readlinkSync(`${DESCRIPTOR_LINKS}/${fd}`);
  } catch {
    return null;
  }
  // An unlinked file reads "PATH (deleted)": still judged by where it was.
  return inside(realRoot, target);
}
