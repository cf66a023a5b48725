import { constants as fsConstants } from "node:fs";
import { isTemporaryUpload, type FileEntry } from "../core/files/file-space.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

/** Files we write while an upload is in progress; never shown. */
export function isInternal(name: string): boolean {
  return isTemporaryUpload(name);
}

/**
 * What is neither a file nor a folder, by the file type bits of its mode: the letter `ls -l`
 * shows and RFC 3659's `OS.unix=` type (§7.5.1). A FIFO or a socket in a folder (put there
 * behind the server's back) is named as what it is, not as a link.
 */
const SPECIAL_TYPES: ReadonlyMap<number, { readonly letter: string; readonly mlst: string }> = new Map([
  [fsConstants.S_IFLNK, { letter: "l", mlst: "OS.unix=symlink" }],
  [fsConstants.S_IFIFO, { letter: "p", mlst: "OS.unix=fifo" }],
  [fsConstants.S_IFSOCK, { letter: "s", mlst: "OS.unix=socket" }],
  [fsConstants.S_IFCHR, { letter: "c", mlst: "OS.unix=chardev" }],
  [fsConstants.S_IFBLK, { letter: "b", mlst: "OS.unix=blockdev" }],
]);

/** An "other" entry's type; a mode without known type bits is taken for a link, as before the bits were read. */
function specialType(entry: FileEntry): { readonly letter: string; readonly mlst: string } {
  return SPECIAL_TYPES.get(entry.mode & fsConstants.S_IFMT) ?? SPECIAL_TYPES.get(fsConstants.S_IFLNK)!;
}

function permissions(entry: FileEntry): string {
  const kind = entry.type === "dir" ? "d" : entry.type === "other" ? specialType(entry).letter : "-";
  const bits = entry.mode & 0o777;
  let text = kind;
  for (let shift = 6; shift >= 0; shift -= 3) {
    const b = (bits >> shift) & 7;
    text += (b & 4 ? "r" : "-") + (b & 2 ? "w" : "-") + (b & 1 ? "x" : "-");
  }
  return text;
}

/** One `ls -l` line, the form FTP clients parse: recent dates with the time, older ones with the year. */
export function listLine(entry: FileEntry, now: number): string {
  const d = entry.modified;
  const recent = Math.abs(now - d.getTime()) < SIX_MONTHS_MS;
  const day = String(d.getUTCDate()).padStart(2, " ");
  const when = recent ? `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}` : ` ${d.getUTCFullYear()}`;
  return `${permissions(entry)} 1 ftp ftp ${String(entry.size).padStart(12, " ")} ${MONTHS[d.getUTCMonth()]} ${day} ${when} ${entry.name}`;
}

/** RFC 3659 time-val: YYYYMMDDHHMMSS in UTC. */
export function timeVal(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export type FactKind = "file" | "dir" | "cdir" | "pdir";

/** The MLST facts this server knows, in the order they are sent (RFC 3659 §7.5). */
export const MLST_FACTS = ["type", "size", "modify", "perm", "unique", "UNIX.mode"] as const;
export type MlstFact = (typeof MLST_FACTS)[number];

/**
 * `OPTS MLST type;size;`: the facts named, in the server's spelling and order; names are
 * not case-sensitive and unknown ones are left out (RFC 3659 §7.9). An empty list selects none.
 */
export function selectFacts(list: string): MlstFact[] {
  const asked = new Set(list.split(";").map((name) => name.trim().toLowerCase()));
  return MLST_FACTS.filter((fact) => asked.has(fact.toLowerCase()));
}

/** FEAT's MLST line: every fact offered, the selected ones marked with `*` (RFC 3659 §7.8). */
export function mlstFeature(selected: readonly MlstFact[]): string {
  return `MLST ${MLST_FACTS.map((fact) => `${fact}${selected.includes(fact) ? "*" : ""};`).join("")}`;
}

/**
 * What the client may do with the entry (RFC 3659 §7.5.5), no more: `readOnly` spaces offer
 * only reading. The space's root (named "/") is neither deleted nor renamed. A symbolic link
 * (or a FIFO, a device) is never followed, so it may only be deleted, and not even that when
 * it leads out of the space (`removable` false): the jail refuses it for every command.
 */
function permFact(entry: FileEntry, readOnly: boolean, removable: boolean): string {
  if (entry.type === "other") return readOnly || !removable ? "" : "d";
  if (entry.type === "dir") return readOnly ? "el" : entry.name === "/" ? "lcmpe" : "flcdmpe";
  return readOnly ? "r" : "adfrw";
}

/** RFC 3659 facts for MLSD/MLST, the `facts` selected by OPTS MLST (see permFact for `readOnly` and `removable`). */
export function factsLine(entry: FileEntry, kind: FactKind, name: string, readOnly: boolean, facts: readonly MlstFact[] = MLST_FACTS, removable = true): string {
  const perm = permFact(entry, readOnly, removable);
  const type = kind === "file" && entry.type === "other" ? specialType(entry).mlst : kind;
  const values: Record<MlstFact, string> = {
    type,
    size: String(entry.size),
    modify: timeVal(entry.modified),
    perm,
    unique: entry.unique,
    "UNIX.mode": `0${(entry.mode & 0o777).toString(8)}`,
  };
  return `${facts.map((fact) => `${fact}=${values[fact]};`).join("")} ${name}`;
}
