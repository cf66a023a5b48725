/**
 * What the FTP adapter shows of a space: `ls -l` lines (recent dates with the time,
 * older and future ones with the year), RFC 3659 facts, time-vals both ways, and
 * the names of in-progress uploads that are never listed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FileEntry } from "../../src/core/files/file-space.js";
import { factsLine, isInternal, listLine, timeVal } from "../../src/ftp/listing.js";
import { parseTimeVal } from "../../src/ftp/commands/file-commands.js";

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);

function entry(partial: Partial<FileEntry>): FileEntry {
  return { name: "a.txt", type: "file", size: 1234, modified: new Date(Date.UTC(2025, 5, 1, 9, 5, 7)), mode: 0o100644, unique: "803g1a2b", ...partial };
}

/** The fields a client's `ls -l` parser splits on whitespace. */
function fields(line: string): string[] {
  return line.split(/ +/);
}

describe("listLine: the ls -l form", () => {
  test("a recent file shows month, day and time (UTC)", () => {
    const line = listLine(entry({}), NOW);
    assert.equal(line, "-rw-r--r-- 1 ftp ftp         1234 Jun  1 09:05 a.txt");
    assert.deepEqual(fields(line).slice(0, 8), ["-rw-r--r--", "1", "ftp", "ftp", "1234", "Jun", "1", "09:05"]);
  });

  test("a file older than six months shows the year instead of the time", () => {
    const line = listLine(entry({ modified: new Date(Date.UTC(2020, 2, 4, 5, 6, 7)) }), NOW);
    assert.equal(line, "-rw-r--r-- 1 ftp ftp         1234 Mar  4  2020 a.txt");
    assert.deepEqual(fields(line).slice(5, 8), ["Mar", "4", "2020"]);
  });

  test("a date far in the future shows the year too (as ls does)", () => {
    const line = listLine(entry({ modified: new Date(Date.UTC(2031, 11, 25, 0, 0, 0)) }), NOW);
    assert.deepEqual(fields(line).slice(5, 8), ["Dec", "25", "2031"]);
  });

  test("directories, links, permission bits, two-digit days and big sizes", () => {
    assert.match(listLine(entry({ type: "dir", name: "docs", mode: 0o40755, size: 4096 }), NOW), /^drwxr-xr-x 1 ftp ftp +4096 Jun  1 09:05 docs$/);
    assert.match(listLine(entry({ type: "other", name: "link", mode: 0o120777 }), NOW), /^lrwxrwxrwx /);
    assert.match(listLine(entry({ mode: 0o100600 }), NOW), /^-rw------- /);
    assert.match(listLine(entry({ modified: new Date(Date.UTC(2025, 4, 21, 23, 59)) }), NOW), / May 21 23:59 /);
    const big = listLine(entry({ size: 5 * 1024 ** 4 }), NOW);
    assert.equal(fields(big)[4], String(5 * 1024 ** 4));
  });

  test("names with spaces and UTF-8 stay whole at the end of the line", () => {
    const line = listLine(entry({ name: "my  report — été.txt" }), NOW);
    assert.ok(line.endsWith(" 09:05 my  report — été.txt"));
  });
});

describe("factsLine: MLSD / MLST facts (RFC 3659)", () => {
  test("a file: type, size, modify, perm, unique, UNIX.mode, then a space and the name", () => {
    assert.equal(factsLine(entry({}), "file", "a.txt", false), "type=file;size=1234;modify=20250601090507;perm=adfrw;unique=803g1a2b;UNIX.mode=0644; a.txt");
  });

  test("a directory offers the directory permissions; read-only spaces only reading", () => {
    assert.match(factsLine(entry({ type: "dir", name: "d", mode: 0o40755 }), "dir", "d", false), /^type=dir;.*perm=flcdmpe;.*UNIX\.mode=0755; d$/);
    assert.match(factsLine(entry({ type: "dir", name: "d" }), "dir", "d", true), /perm=el;/);
    assert.match(factsLine(entry({}), "file", "a.txt", true), /perm=r;/);
  });

  test("a link is not called a file, nor is a FIFO, a socket or a device called a link", () => {
    assert.match(factsLine(entry({ type: "other", mode: 0o120777 }), "file", "l", false), /^type=OS\.unix=symlink;/);
    assert.match(factsLine(entry({ type: "other", mode: 0o010644 }), "file", "p", false), /^type=OS\.unix=fifo;/);
    assert.match(factsLine(entry({ type: "other", mode: 0o140755 }), "file", "s", false), /^type=OS\.unix=socket;/);
    assert.match(factsLine(entry({ type: "other", mode: 0o020666 }), "file", "c", false), /^type=OS\.unix=chardev;/);
    assert.match(factsLine(entry({ type: "other", mode: 0o060660 }), "file", "b", false), /^type=OS\.unix=blockdev;/);
    assert.match(listLine(entry({ type: "other", name: "p", mode: 0o010644 }), NOW), /^prw-r--r-- /);
    assert.match(listLine(entry({ type: "other", name: "s", mode: 0o140755 }), NOW), /^srwxr-xr-x /);
  });

  test("every fact is name=value; and the name follows a single space", () => {
    const line = factsLine(entry({ name: "x y" }), "file", "x y", false);
    const [facts, name] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
    assert.equal(name, "x y");
    for (const fact of facts.split(";").filter(Boolean)) assert.match(fact, /^[A-Za-z.]+=[^;]*$/);
  });
});

describe("time-vals", () => {
  test("timeVal is YYYYMMDDHHMMSS in UTC", () => {
    assert.equal(timeVal(new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 999))), "20240229235958");
    assert.equal(timeVal(new Date(0)), "19700101000000");
  });

  test("parseTimeVal reads what timeVal writes, with optional seconds and fractions", () => {
    const date = new Date(Date.UTC(2020, 2, 4, 5, 6, 7));
    assert.equal(parseTimeVal(timeVal(date))?.getTime(), date.getTime());
    assert.equal(parseTimeVal("202003040506")?.getTime(), Date.UTC(2020, 2, 4, 5, 6, 0));
    assert.equal(parseTimeVal("20200304050607.5")?.getTime(), Date.UTC(2020, 2, 4, 5, 6, 7, 500));
    assert.equal(parseTimeVal("20200304050607.123")?.getTime(), Date.UTC(2020, 2, 4, 5, 6, 7, 123));
  });

  test("parseTimeVal refuses malformed and impossible dates rather than rolling them over", () => {
    for (const bad of ["", "2020", "2020030405060", "20200304050607Z", "2020-03-04 05:06:07", "20200231000000", "20201301000000", "20200304250000", "20200304056000", "20200304050660", "00990101000000", " 20200304050607", "202401020304.5"]) {
      assert.equal(parseTimeVal(bad), null, bad);
    }
  });
});

describe("isInternal: in-progress uploads are never listed", () => {
  test("the temporary names FileSpace uses", () => {
    assert.equal(isInternal(".report.pdf.upload-0123456789ab"), true);
    assert.equal(isInternal(".x.upload-abcdefabcdef"), true);
  });
  test("ordinary dot files and look-alikes are listed", () => {
    for (const name of [".profile", "report.pdf.upload-0123456789ab", ".x.upload-123", ".x.upload-0123456789abc", ".upload-0123456789ab", ".x.upload-0123456789AB"]) {
      assert.equal(isInternal(name), false, name);
    }
  });
});
