import type { Socket } from "node:net";
import type { FtpSession } from "../ftp-session.js";
import { secureDataSocket } from "../data-channel.js";
import type { TransferOutcome, TransferTally } from "../ftp-traffic.js";

class DataTlsFailed extends Error {}

function endOf(code: number, aborted: boolean): TransferOutcome {
  if (aborted) return "aborted";
  return code === 226 ? "complete" : "failed";
}

/**
 * Opens the data connection the client set up (PASV/EPSV/PORT/EPRT), answers 150,
 * runs `work` on it beside the command loop, and answers 226 or the failure. The
 * data channel is used once. ABOR (or the session closing) destroys the socket,
 * which ends `work` with an error and a 426. `release` runs once whatever happens
 * (the file opened for RETR is closed even when `work` never ran). `tally` counts how
 * it ended (`work` counts the bytes).
 */
export async function runTransfer(
  session: FtpSession,
  tally: TransferTally,
  description: string,
  work: (socket: Socket) => Promise<{ code: number; text: string }>,
  release: () => void = () => {},
): Promise<void> {
  const channel = session.data;
  session.data = null;
  if (!channel || session.transfer) {
    release();
    channel?.close();
    return channel ? session.reply(450, "A transfer is already in progress") : session.reply(425, "Use PASV, EPSV, PORT or EPRT first");
  }
  const { config, tls, log } = session.context;
  const timeoutMs = config.ftp.dataTimeoutSeconds * 1000;
  let socket: Socket;
  try {
    socket = await channel.open({ clientAddress: session.address, timeoutMs, log });
  } catch (error) {
    release();
    channel.close();
    tally.ended("failed");
    log.info({ address: session.address, err: (error as Error).message }, "ftp data connection failed");
    return session.reply(425, "Cannot open data connection");
  }
  let aborted = false;
  let done: Promise<void> = Promise.resolve();
  session.transfer = {
    description,
    abort: () => {
      aborted = true;
      socket.destroy();
      return done;
    },
    finished: () => done,
  };
  session.reply(150, `Opening ${session.type === "I" ? "BINARY" : "ASCII"} mode data connection for ${description}`);
  // The transfer goes on while the control connection takes ABOR, STAT and NOOP.
  done = (async () => {
    let outcome: { code: number; text: string };
    try {
      // PROT P: the handshake comes after the 150 (see secureDataSocket).
      if (session.protectData && tls) {
        try {
          socket = await secureDataSocket(socket, tls, timeoutMs);
        } catch (error) {
          throw new DataTlsFailed((error as Error).message);
        }
      }
      socket.setTimeout(timeoutMs, () => socket.destroy());
      outcome = await work(socket);
    } catch (error) {
      outcome = error instanceof DataTlsFailed ? { code: 425, text: "TLS negotiation on the data connection failed" } : { code: 426, text: "Connection closed; transfer aborted" };
      log.debug({ address: session.address, err: (error as Error).message }, "ftp transfer failed");
    }
    session.transfer = null;
    release();
    channel.close();
    if (aborted) outcome = { code: 426, text: "Transfer aborted" };
    tally.ended(endOf(outcome.code, aborted));
    session.reply(outcome.code, outcome.text);
    session.lastActivity = Date.now();
  })();
}
