import type { AddressInfo } from "node:net";
import type { ConnectionLimits } from "../net/connection-limits.js";
import { startListeners, type AcceptedConnection, type Listeners } from "../net/listeners.js";
import { unmapAddress } from "../net/address.js";
import { FtpSession } from "./ftp-session.js";
import type { FtpServerContext } from "./ftp-context.js";
import { runFtpCommand } from "./commands/index.js";
import { formatReply } from "./replies.js";

/**
 * The FTP door: control-connection listeners, the sessions, and one timer that
 * enforces the login and idle timeouts for all of them.
 */
export class FtpService {
  #listeners: Listeners | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(
    readonly context: FtpServerContext,
    private readonly limits: ConnectionLimits,
  ) {}

  async start(): Promise<void> {
    const { config, log } = this.context;
    this.#listeners = await startListeners({
      addresses: config.ftp.listen,
      limits: this.limits,
      log,
      onConnection: (accepted) => this.#accept(accepted),
      refusalMessage: (reason) => formatReply(421, `${reason}; try again later`),
    });
    const ftp = config.ftp;
    const period = Math.min(5, Math.max(0.2, Math.min(ftp.loginTimeoutSeconds, ftp.idleTimeoutSeconds) / 4));
    this.#sweeper = setInterval(() => this.#sweep(), period * 1000);
    this.#sweeper.unref();
  }

  addresses(): AddressInfo[] {
    return this.#listeners?.addresses() ?? [];
  }

  #accept({ socket, address, slot }: AcceptedConnection): void {
    const session = new FtpSession(socket, address, unmapAddress(socket.localAddress), this.context, runFtpCommand, slot);
    this.context.sessions.add(session);
    session.reply(220, "CmyMessage FTP server ready");
    this.context.log.debug({ address }, "ftp connection accepted");
  }

  #sweep(): void {
    const now = Date.now();
    const ftp = this.context.config.ftp;
    for (const session of [...this.context.sessions]) {
      if (!session.loggedIn && now - session.loginStartedAt > ftp.loginTimeoutSeconds * 1000) {
        session.reply(421, "Login timed out; closing control connection");
        session.close();
      } else if (!session.transfer && now - session.lastActivity > ftp.idleTimeoutSeconds * 1000) {
        session.reply(421, "Idle timeout; closing control connection");
        session.close();
      }
    }
  }

  async shutdown(reason: string, timeoutMs: number): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    const closing = this.#listeners?.close();
    const sockets = [...this.context.sessions].map((session) => session.socket);
    for (const session of [...this.context.sessions]) {
      session.reply(421, reason);
      session.close();
    }
    const gone = Promise.all(sockets.map((socket) => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once("close", resolve)))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await closing;
  }
}
