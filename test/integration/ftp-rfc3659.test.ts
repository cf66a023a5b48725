/**
 * RFC 3659 and MFMT details a client relies on, spoken raw: MFMT and SITE UTIME giving
 * the time the file system kept, SIZE and REST in TYPE A, REST applying only to the
 * transfer right after it, OPTS MLST choosing the facts sent, and STAT telling of a
 * data connection set up but not used yet.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let home: string;
const sessions = new FtpSessions();

before(async () => {
  server = await startFtpServer();
  home = await server.home();
});
afterEach(() => {
  sessions.closeAll();
});
after(() => server.stop());

function loggedIn(): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort);
}

/** RFC 3659 time-val of a date, to the second. */
const timeVal = (date: Date): string => date.toISOString().replace(/[-:T]/g, "").slice(0, 14);

describe("MFMT and SITE UTIME give the time the file kept", () => {
  test("a time outside the file system's range (ext4: 1901 to 2446) is answered with the time kept, the one MDTM then reads", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "kept.txt"), "x");
    for (const asked of ["18500101000000", "99991231235959", "20200304050607.890"]) {
      const reply = await control.command(`MFMT ${asked} kept.txt`);
      assert.equal(reply.code, 213, reply.lines.join(" | "));
      const given = /^Modify=(\d{14}); \/kept\.txt$/.exec(reply.text)?.[1];
      const mdtm = (await control.command("MDTM kept.txt")).text;
      assert.equal(given, mdtm, `MFMT ${asked}: the reply and MDTM disagree`);
      assert.equal(mdtm, timeVal((await stat(join(home, "kept.txt"))).mtime));
    }
    const utime = await control.command("SITE UTIME 18500101000000 kept.txt");
    assert.equal(utime.code, 200);
    assert.equal(utime.text, `SITE UTIME command ok; modify=${(await control.command("MDTM kept.txt")).text}`);
  });
});

describe("TYPE A: SIZE and REST count bytes on the wire", () => {
  test("SIZE in TYPE A is what RETR sends (a CR before each bare LF); in TYPE I the file's own size", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "lines.txt"), "a\nb\nc\n");
    await writeFile(join(home, "mixed.txt"), "x\r\ny\nz");
    assert.equal((await control.command("TYPE A")).code, 200);
    for (const [name, expected] of [["lines.txt", "9"], ["mixed.txt", "7"]] as const) {
      assert.equal((await control.command(`SIZE ${name}`)).text, expected, name);
      assert.equal(String((await control.transfer(`RETR ${name}`)).data.length), expected, `${name}: RETR`);
    }
    assert.equal((await control.command("TYPE I")).code, 200);
    assert.equal((await control.command("SIZE lines.txt")).text, "6");
  });

  test("SIZE in TYPE A of a file over 1 MiB is 550 (it is not read through to count), as ProFTPD answers; TYPE I gives it", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "large.txt"), "line\n".repeat(300_000));
    const reply = await control.command("SIZE large.txt");
    assert.equal(reply.code, 550);
    assert.match(reply.text, /ASCII mode/);
    await control.command("TYPE I");
    assert.equal((await control.command("SIZE large.txt")).text, "1500000");
  });

  test("a transfer resumed from REST in TYPE A is refused (550) before its data connection is used; REST 0 is fine", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "resume-a.txt"), "a\nb\nc\n");
    assert.equal((await control.command("TYPE A")).code, 200);
    assert.equal((await control.command("REST 6")).code, 350);
    const retr = await control.transfer("RETR resume-a.txt");
    assert.equal(retr.preliminary.code, 550, retr.preliminary.lines.join(" | "));
    assert.match(retr.preliminary.text, /ASCII mode/);
    assert.equal((await control.command("REST 2")).code, 350);
    const stor = await control.transfer("STOR resume-a.txt", Buffer.from("HELLO\r\n"));
    assert.equal(stor.preliminary.code, 550, stor.preliminary.lines.join(" | "));
    assert.equal(await readFile(join(home, "resume-a.txt"), "utf8"), "a\nb\nc\n");
    // The type the transfer runs in counts: REST given in TYPE I, then TYPE A.
    await control.command("TYPE I");
    assert.equal((await control.command("REST 2")).code, 350);
    await control.command("TYPE A");
    assert.equal((await control.transfer("RETR resume-a.txt")).preliminary.code, 550);
    assert.equal((await control.command("REST 0")).code, 350);
    const whole = await control.transfer("RETR resume-a.txt");
    assert.equal(whole.final.code, 226);
    assert.equal(whole.data.toString(), "a\r\nb\r\nc\r\n");
  });
});

describe("REST applies to the transfer right after it (RFC 3659 §5.3)", () => {
  test("a listing, a failed DELE, SIZE or CWD between REST and RETR drops the position: RETR sends the whole file", async () => {
    const control = await loggedIn();
    await mkdir(join(home, "d1"), { recursive: true });
    await writeFile(join(home, "whole.txt"), "0123456789");
    await control.command("TYPE I");
    const between: Array<(c: FtpControl) => Promise<unknown>> = [
      (c) => c.transfer("NLST d1"),
      (c) => c.command("DELE nothere"),
      (c) => c.command("SIZE whole.txt"),
      (c) => c.command("CWD /"),
    ];
    for (const run of between) {
      assert.equal((await control.command("REST 4")).code, 350);
      await run(control);
      const { data, final } = await control.transfer("RETR whole.txt");
      assert.equal(final.code, 226);
      assert.equal(data.toString(), "0123456789", `after ${String(control.replies.at(-4)?.lines[0])}`);
    }
  });

  test("the commands that set a transfer up keep it: PASV, TYPE I, MODE S, STRU F, NOOP, then EPSV and RETR", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "kept-rest.txt"), "0123456789");
    await control.command("TYPE I");
    assert.equal((await control.command("REST 4")).code, 350);
    for (const command of ["PASV", "TYPE I", "MODE S", "STRU F", "NOOP"]) assert.ok((await control.command(command)).code < 300, command);
    const { data, final } = await control.transfer("RETR kept-rest.txt");
    assert.equal(final.code, 226);
    assert.equal(data.toString(), "456789");
  });
});

describe("OPTS MLST chooses the facts MLST and MLSD send (RFC 3659 §7.9)", () => {
  test("the reply names the facts that will be sent; MLST, MLSD and FEAT follow the choice; a new session has them all", async () => {
    const control = await loggedIn();
    await mkdir(join(home, "facts"), { recursive: true });
    await writeFile(join(home, "facts", "f.txt"), "abc");
    const chosen = await control.command("OPTS MLST type;size;");
    assert.deepEqual([chosen.code, chosen.text], [200, "MLST OPTS type;size;"]);
    assert.equal((await control.command("MLST facts/f.txt")).lines[1], " type=file;size=3; /facts/f.txt");
    const lines = (await control.transfer("MLSD facts")).data.toString().split("\r\n").filter(Boolean);
    assert.deepEqual(lines, ["type=file;size=3; f.txt"]);
    const feat = (await control.command("FEAT")).lines;
    assert.ok(feat.includes(" MLST type*;size*;modify;perm;unique;UNIX.mode;"), feat.join("\n"));
    // Names are not case-sensitive, unknown ones are left out, the reply spells them as the server does.
    const mixed = await control.command("OPTS MLST Size;unix.MODE;colour;");
    assert.equal(mixed.text, "MLST OPTS size;UNIX.mode;");
    assert.match((await control.command("MLST facts/f.txt")).lines[1]!, /^ size=3;UNIX\.mode=0[0-7]{3}; \/facts\/f\.txt$/);
    // An empty list: no facts, only the name.
    assert.equal((await control.command("OPTS MLST")).text, "MLST OPTS");
    assert.equal((await control.command("MLST facts/f.txt")).lines[1], "  /facts/f.txt");
    const fresh = await loggedIn();
    assert.match((await fresh.command("MLST facts/f.txt")).lines[1]!, /^ type=file;size=3;modify=\d{14};perm=[a-z]+;unique=[0-9a-fg]+;UNIX\.mode=0\d+; \/facts\/f\.txt$/);
  });
});

describe("STAT and a data connection set up but not used", () => {
  test("after EPSV, STAT says a passive listener waits on that port; after PORT, where the next transfer connects", async () => {
    const control = await loggedIn();
    const idle = await control.command("STAT");
    assert.ok(idle.lines.some((line) => line.trim() === "No data connection"), idle.lines.join("\n"));
    const port = await control.passive();
    const waiting = await control.command("STAT");
    assert.ok(waiting.lines.some((line) => line.trim() === `Passive mode: listening on port ${port} for the data connection`), waiting.lines.join("\n"));
    assert.equal((await control.command("PORT 127,0,0,1,200,10")).code, 200);
    const active = await control.command("STAT");
    assert.ok(active.lines.some((line) => line.trim() === "Active mode: the next transfer connects to 127.0.0.1 port 51210"), active.lines.join("\n"));
  });
});
