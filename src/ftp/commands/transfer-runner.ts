import type { Socket } from "node:net";
import type { FtpSession } from "../ftp-session.js";

/**
 * Opens the data connection the client set up (PASV/EPSV/PORT/EPRT), answers 150,
 * runs `work` on it beside the command loop, and answers 226 or the failure. The
 * data channel is used once. ABOR (or the session closing) destroys the socket,
 * which ends `work` with an error and a 426.
 */
export async function runTransfer(
  session: FtpSession,
  description: string,
  work: (socket: Socket) => Promise<{ code: number; text: string }>,
): Promise<void> {
  const channel = session.data;
  session.data = null;
  if (!channel) return session.reply(425, "Use PASV, EPSV, PORT or EPRT first");
  if (session.transfer) return session.reply(450, "A transfer is already in progress");
  const { config, tls, log } = session.context;
  let socket: Socket;
  try {
    socket = await channel.open({
      clientAddress: session.address,
      timeoutMs: config.ftp.dataTimeoutSeconds * 1000,
      log,
      tls: session.protectData ? tls : null,
    });
  } catch (error) {
    channel.close();
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
  };
  session.reply(150, `Opening ${session.type === "I" ? "BINARY" : "ASCII"} mode data connection for ${description}`);
  // The transfer goes on while the control connection takes ABOR, STAT and NOOP.
  done = (async () => {
    let outcome: { code: number; text: string };
    try {
      socket.setTimeout(config.ftp.dataTimeoutSeconds * 1000, () => socket.destroy());
      outcome = await work(socket);
    } catch (error) {
      outcome = { code: 426, text: "Connection closed; transfer aborted" };
      log.debug({ address: session.address, err: (error as Error).message }, "ftp transfer failed");
    }
    session.transfer = null;
    channel.close();
    if (aborted) outcome = { code: 426, text: "Transfer aborted" };
    session.reply(outcome.code, outcome.text);
    session.lastActivity = Date.now();
  })();
}
