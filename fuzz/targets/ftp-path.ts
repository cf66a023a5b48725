import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, resolve, sep } from "node:path";
import { configSchema } from "../../src/config/schema.js";
import { confineRealPath, resolveVirtual } from "../../src/core/files/jail.js";
import { decodeCommandLine, splitCommandLine } from "../../src/ftp/command-line.js";
import { parseTimeVal } from "../../src/ftp/commands/file-commands.js";
import { parseListArgument } from "../../src/ftp/commands/listings.js";
import { timeVal } from "../../src/ftp/listing.js";
import { withoutTelnetCommands } from "../../src/ftp/telnet.js";
import { LineSplitter } from "../../src/net/line-splitter.js";
import { invariant, type FuzzTarget } from "../engine/target.js";

const MAX_COMMAND_BYTES = configSchema.parse({}).ftp.maxCommandBytes;
const LISTING_VERBS = new Set(["LIST", "NLST", "MLSD", "STAT"]);

/**
 * An account's space on disk with the links that try to leave it: to its parent, to /etc,
 * a dangling one to a place outside that does not exist yet, a loop, and a harmless one.
 */
let root = "";
let realRoot = "";
let outsideDir = "";

function makeSpace(): void {
  const base = mkdtempSync(join(tmpdir(), "cmy-fuzz-ftp-"));
  root = join(base, "space");
  outsideDir = join(base, "outside");
  mkdirSync(join(root, "docs", "deep"), { recursive: true });
  mkdirSync(outsideDir);
  writeFileSync(join(root, "docs", "a.txt"), "a");
  writeFileSync(join(outsideDir, "secret"), "s");
  symlinkSync("..", join(root, "up"));
  symlinkSync("/etc", join(root, "etc"));
  symlinkSync(outsideDir, join(root, "out"));
  symlinkSync(join(base, "not-yet"), join(root, "dangling"));
  symlinkSync("loop", join(root, "loop"));
  symlinkSync("docs", join(root, "inner"));
  symlinkSync("../../out", join(root, "docs", "deep", "climb"));
  realRoot = realpathSync(root);
}

function insideRoot(path: string): boolean {
  return path === realRoot || path.startsWith(realRoot + sep);
}

/**
 * FTP command lines as a session reads them (framing, Telnet commands dropped, verb and
 * argument split), and every argument through the path jail as a command would use it:
 * a path is refused or stays inside the account's space, on paper (resolveVirtual) and
 * on disk with links followed (confineRealPath). CWD moves the working directory.
 */
export async function runFtpPath(input: Buffer): Promise<void> {
  const lines: Buffer[] = [];
  const splitter = new LineSplitter(MAX_COMMAND_BYTES, { line: (bytes) => lines.push(Buffer.from(bytes)), overflow: () => undefined });
  splitter.push(input);
  let cwd = "/";
  for (const bytes of lines) {
    const clean = withoutTelnetCommands(bytes);
    // IAC IAC is the one data byte 0xFF (RFC 854); an IAC before a command byte goes with it;
    // a lone IAC (no command after it) is kept, so the line is refused below, never shortened.
    invariant(count(clean, 0xff) <= keptIacs(bytes), "a Telnet IAC survived withoutTelnetCommands");
    invariant(clean.length === 0 || clean[0]! < 0xf0 || clean[0] === 0xff, "a line still starts with a Telnet command byte");
    const line = decodeCommandLine(bytes);
    invariant(line === null || !clean.includes(0xff), "a line holding the byte 0xFF was taken as UTF-8");
    if (line === null || line === "") continue;
    const { verb, argument } = splitCommandLine(line);
    invariant(!verb.includes(" ") && verb === verb.toUpperCase(), `verb ${JSON.stringify(verb)}`);
    invariant(line.toUpperCase().startsWith(verb) && (argument === "" || line.endsWith(argument)), "verb and argument are not the line");
    if (verb === "MFMT" || verb === "MDTM") checkTimeVal(argument.split(" ")[0]!);
    const pathText = LISTING_VERBS.has(verb) ? parseListArgument(argument) : argument;
    const resolved = await checkPath(cwd, pathText === "" ? "." : pathText);
    if (verb === "CWD" && resolved) cwd = resolved;
  }
}

function count(bytes: Buffer, byte: number): number {
  let n = 0;
  for (const b of bytes) if (b === byte) n++;
  return n;
}

/** IACs that may stay as the byte 0xFF, read left to right as a Telnet receiver does: escaped (IAC IAC) or lone (no Telnet command byte, 0xF0 and up, after it). */
function keptIacs(bytes: Buffer): number {
  let kept = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0xff) continue;
    const next = bytes[i + 1];
    if (next === 0xff) {
      kept++;
      i++;
    } else if (next === undefined || next < 0xf0) kept++;
  }
  return kept;
}

function checkTimeVal(text: string): void {
  const when = parseTimeVal(text);
  if (when === null) return;
  invariant(!Number.isNaN(when.getTime()), `parseTimeVal(${JSON.stringify(text)}) gave an invalid date`);
  invariant(text.startsWith(timeVal(when).slice(0, text.length >= 14 ? 14 : 12)), `parseTimeVal(${JSON.stringify(text)}) gave ${when.toISOString()}`);
}

/** The virtual path when the jail accepted it, null when it refused it. */
async function checkPath(cwd: string, input: string): Promise<string | null> {
  const result = resolveVirtual(root, cwd, input);
  if (typeof result === "string") {
    invariant(result === "invalid-name" || result === "outside", `unknown refusal ${JSON.stringify(result)}`);
    return null;
  }
  invariant(!/[\u0000-\u001f\u007f]/.test(input), `a name with a control character was accepted: ${JSON.stringify(input)}`);
  const { virtual, real } = result;
  invariant(virtual.startsWith("/") && posix.normalize(virtual) === virtual, `virtual path ${JSON.stringify(virtual)} is not absolute and normal`);
  invariant(virtual === "/" || !virtual.endsWith("/"), `virtual path ${JSON.stringify(virtual)} ends with a slash`);
  invariant(!virtual.split("/").includes(".."), `virtual path ${JSON.stringify(virtual)} climbs`);
  invariant(real === (virtual === "/" ? root : root + virtual), `real path ${JSON.stringify(real)} is not the root joined with ${JSON.stringify(virtual)}`);
  invariant(resolve(real) === real || resolve(real) + "/" === real, `real path ${JSON.stringify(real)} is not normal`);
  invariant(real === root || real.startsWith(root + sep), `real path ${JSON.stringify(real)} is outside the root on paper`);
  if (!(await confineRealPath(root, real))) return null;
  checkOnDisk(virtual);
  return virtual;
}

/** Every link on the accepted path that resolves must resolve inside the space. */
function checkOnDisk(virtual: string): void {
  let probe = root;
  for (const name of virtual.split("/").filter((n) => n !== "")) {
    probe = join(probe, name);
    let isLink: boolean;
    try {
      isLink = lstatSync(probe).isSymbolicLink();
    } catch {
      return; // the rest does not exist: nothing more to follow
    }
    if (!isLink) continue;
    let target: string;
    try {
      target = realpathSync(probe);
    } catch {
      // A link to nowhere: accepted only if where it points is not outside.
      invariant(false, `the jail accepted ${JSON.stringify(virtual)} through the broken link ${probe}`);
    }
    invariant(insideRoot(target), `the jail accepted ${JSON.stringify(virtual)}, whose link ${probe} leads to ${target}, outside the space`);
  }
}

export const ftpPath: FuzzTarget = {
  name: "ftp-path",
  description: "FTP command lines (framing, Telnet, verb split) and the path jail with links on disk",
  dictionary: [
    ..."USER PASS CWD CDUP PWD LIST NLST MLSD MLST STAT RETR STOR APPE DELE RMD MKD RNFR RNTO SIZE MDTM MFMT SITE UTIME CHMOD REST TYPE PORT EPRT PASV EPSV FEAT OPTS AUTH PROT PBSZ QUIT ABOR ALLO".split(" "),
    ...["..", "../", "/..", "./", "//", "up", "etc", "out", "dangling", "loop", "inner", "docs", "deep", "climb", "a.txt", "passwd", "-la ", "-a", "\\", "%2e%2e", "\u2024\u2024", "e\u0301", "\u00e9", "\xff\xf4\xff\xf2", "\xff\xfb\x01", "20240229123000", "20231301000000", ".999"],
  ],
  maxLength: 2 * MAX_COMMAND_BYTES,
  setup() {
    makeSpace();
    return Promise.resolve();
  },
  run: runFtpPath,
  teardown() {
    rmSync(join(root, ".."), { recursive: true, force: true });
    return Promise.resolve();
  },
};
