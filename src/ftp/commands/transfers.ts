import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { Socket } from "node:net";
import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import { fromNetworkAscii, toNetworkAscii } from "../ascii.js";
import { fileFailureReply, refusePath, replyFileFailure, resolvePath } from "./paths.js";
import { runTransfer } from "./transfer-runner.js";
import { endDataConnection } from "../data-channel.js";
import { ByteCounter } from "../ftp-traffic.js";
import type { JailedPath } from "../../core/files/jail.js";
import type { FileFailure } from "../../core/files/file-space.js";

/** How long an upload waits after its last byte for a closing control connection (see controlStillOpen). */
const UPLOAD_SETTLE_MS = 5;

/**
 * A restart marker counts bytes as they go over the connection (RFC 3659 §5), which in TYPE A
 * are not the file's bytes (a CR is added before each LF): resuming from it would skip or repeat
 * part of the file. Refused, as ProFTPD does; REST 0 (a client checking REST) is always fine.
 */
function refuseAsciiResume(session: FtpSession, offset: number): boolean {
  if (offset === 0 || session.type !== "A") return false;
  session.closeData();
  session.reply(550, "Resuming transfers not allowed in ASCII mode; use TYPE I");
  return true;
}

/** Whether `argument` names something that is neither a file nor a folder (a link, a FIFO, a device): said so, as SIZE does. */
async function isSpecialFile(session: FtpSession, argument: string): Promise<boolean> {
  const resolved = await session.space!.resolve(session.cwd, argument);
  if (!resolved.ok) return false;
  const found = await session.space!.stat(resolved.path);
  return found.ok && found.entry.type === "other";
}

export const retr: FtpCommand = {
  names: ["RETR"],
  needsLogin: true,
  argument: "required",
  help: "RETR <file>",
  async run(session, argument) {
    const offset = session.restOffset;
    session.restOffset = 0;
    if (refuseAsciiResume(session, offset)) return;
    // Resolved and opened in one step: the jail is proven on the opened file (see resolveAndOpenFile).
    const opened = await session.space!.resolveAndOpenFile(session.cwd, argument, offset);
    if (!opened.ok) {
      session.closeData();
      // A link in the space is not followed (O_NOFOLLOW: ELOOP, read as "outside"); one leading out of the space is refused by the jail and logged.
      if ((opened.reason === "not-found" || opened.reason === "outside") && (await isSpecialFile(session, argument))) return session.reply(550, "Not a regular file");
      return refusePath(session, argument, opened.reason);
    }
    const { file } = opened;
    const tally = session.context.traffic.downloads;
    await runTransfer(
      session,
      tally,
      `${argument} (${file.size} bytes)`,
      async (socket) => {
        if (session.type === "A") {
          const ascii = toNetworkAscii();
          const done = pipeline([file.stream(), ascii, socket], { end: false });
          // Counted as the bytes go to the socket, by a listener beside the pipe (no extra stream
          // stage); added once the pipe is attached, and before any data: the file is read asynchronously.
          ascii.on("data", (chunk: Buffer) => (tally.bytes += chunk.length));
          await done;
        } else {
          // Binary: straight from the file to the socket, with reused buffers (OpenedFile.sendTo).
          await file.sendTo(socket, (bytes) => (tally.bytes += bytes));
        }
        // A reset while closing may have lost bytes still in flight: say so.
        if (!(await endDataConnection(socket))) return { code: 426, text: "Connection closed; transfer aborted" };
        return { code: 226, text: "Transfer complete" };
      },
      () => {
        file.close().catch(() => {});
      },
    );
  },
};

/**
 * In stream mode the end of the data connection is the end of the file, so a client
 * killed midway (its sockets closed by the kernel) looks like one that finished. Its
 * control connection closes (or gets its FIN) at the same moment, though: give that a
 * moment to arrive before the upload is made final. A client that finished keeps its
 * control connection open to read the 226, or said QUIT before it half-closed it.
 */
async function controlStillOpen(session: FtpSession): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, UPLOAD_SETTLE_MS));
  return !session.closed && !session.hungUp;
}

function store(session: FtpSession, path: JailedPath, mode: { append?: boolean; offset?: number }, name: string): Promise<void> {
  const tally = session.context.traffic.uploads;
  return runTransfer(session, tally, name, async (socket) => {
    // Counted first, as the bytes came off the wire (before ASCII conversion).
    const counter = new ByteCounter(tally);
    const transforms = session.type === "A" ? [counter, fromNetworkAscii()] : [counter];
    const result = await session.space!.upload(path, socket, { ...mode, transforms, complete: () => controlStillOpen(session) });
    if (result.ok) {
      // The file is complete and stored whatever happens to the connection now.
      await endDataConnection(socket);
      return { code: 226, text: `Transfer complete (${result.bytes} bytes)` };
    }
    socket.destroy();
    const [code, text] = fileFailureReply(result.reason);
    session.context.log.info({ address: session.address, account: session.account?.name, path: path.virtual, reason: result.reason }, "ftp upload not completed");
    return { code, text };
  });
}

async function prepareStore(session: FtpSession, argument: string, offset = 0, append = false): Promise<JailedPath | null> {
  if (session.space!.readOnly) {
    session.closeData();
    session.reply(550, "Permission denied");
    return null;
  }
  const path = await resolvePath(session, argument);
  if (!path) {
    session.closeData();
    return null;
  }
  // Refused before the data connection opens (550/552, 554 for REST past the end, 450 busy), not after the 150.
  const check = await session.space!.checkUpload(path, undefined, offset, append);
  if (!check.ok) {
    session.closeData();
    replyFileFailure(session, check.reason);
    return null;
  }
  return path;
}

export const stor: FtpCommand = {
  names: ["STOR"],
  needsLogin: true,
  argument: "required",
  help: "STOR <file> (after REST n: resume at byte n)",
  async run(session, argument) {
    const offset = session.restOffset;
    session.restOffset = 0;
    if (refuseAsciiResume(session, offset)) return;
    const path = await prepareStore(session, argument, offset);
    if (path) await store(session, path, { offset }, argument);
  },
};

export const appe: FtpCommand = {
  names: ["APPE"],
  needsLogin: true,
  argument: "required",
  help: "APPE <file>",
  async run(session, argument) {
    session.restOffset = 0;
    const path = await prepareStore(session, argument, 0, true);
    if (path) await store(session, path, { append: true }, argument);
  },
};

export const stou: FtpCommand = {
  names: ["STOU"],
  needsLogin: true,
  argument: "optional",
  help: "STOU — store under a new unique name",
  async run(session, argument) {
    session.restOffset = 0;
    const base = argument.replace(/[/\\]/g, "") || "upload";
    for (let attempt = 0; attempt < 10; attempt++) {
      const name = `${base}.${randomBytes(4).toString("hex")}`;
      const path = await prepareStore(session, name);
      if (!path) return;
      if ((await session.space!.stat(path)).ok) continue;
      // RFC 1123: the 150 reply names the file as "FILE: name".
      return store(session, path, {}, `FILE: ${name}`);
    }
    session.closeData();
    session.reply(553, "Could not find a unique name");
  },
};

export const rest: FtpCommand = {
  names: ["REST"],
  needsLogin: true,
  argument: "required",
  help: "REST <byte offset> (STREAM mode restart)",
  run(session, argument) {
    if (!/^\d{1,15}$/.test(argument)) return session.reply(501, "REST needs a byte offset");
    session.restOffset = Number(argument);
    session.reply(350, `Restarting at ${argument}. Send STOR or RETR`);
  },
};

export const abor: FtpCommand = {
  names: ["ABOR"],
  needsLogin: false,
  argument: "none",
  help: "ABOR",
  async run(session) {
    const transfer = session.transfer;
    session.closeData();
    if (!transfer) return session.reply(225, "No transfer to abort");
    // The transfer answers 426 itself; then 226 closes the ABOR exchange (RFC 959).
    await transfer.abort();
    session.reply(226, "Abort successful");
  },
};
