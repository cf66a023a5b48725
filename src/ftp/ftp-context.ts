import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { AccountService } from "../core/accounts/account-service.js";
import type { FileService } from "../core/files/file-service.js";
import type { FtpSession } from "./ftp-session.js";
import { FtpTraffic } from "./ftp-traffic.js";
import type { FtpTls } from "./ftp-tls.js";
import type { AccountDoor, LoggedInSession } from "../core/accounts/account-sessions.js";
import { foldCase } from "../core/chat/names.js";

/** What every FTP session on this node shares. `config` is replaced whole on reload. */
export class FtpServerContext {
  readonly sessions = new Set<FtpSession>();
  /** Bytes and transfers on the data connections, for metrics. */
  readonly traffic = new FtpTraffic();

  constructor(
    public config: Config,
    readonly accounts: AccountService,
    readonly files: FileService,
    readonly log: Logger,
    /** FTPS, with the certificate every service uses; null when FTPS is off. */
    readonly tls: FtpTls | null,
  ) {}

  /** The account door of FTP (see AccountSessions): its logged-in sessions, by account. */
  readonly accountDoor: AccountDoor = {
    loggedIn: () => [...this.sessions].flatMap((session) => (session.account ? [foldCase(session.account.name)] : [])),
    sessions: () => [...this.sessions].flatMap((session): LoggedInSession[] => {
      const account = session.account;
      if (!account) return [];
      const end = (reason: string): void => {
        session.reply(421, `${reason}; closing the connection`);
        session.close();
      };
      return [{ account: foldCase(account.name), credentialsVersion: account.credentialsVersion, session, end }];
    }),
    endDeleted: (folded) => {
      for (const session of [...this.sessions]) {
        if (session.account === null || foldCase(session.account.name) !== folded) continue;
        session.reply(421, "Account deleted; closing the connection");
        session.close();
      }
    },
  };
}
