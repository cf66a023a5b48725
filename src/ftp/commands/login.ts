import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import { tlsRequired } from "../tls-policy.js";
import { secondsText } from "../../core/accounts/login-guard.js";

const ANONYMOUS = new Set(["anonymous", "ftp"]);

/** Under `ftp.tls: required`, credentials only travel over TLS (loopback may be trusted). */
function tlsMissing(session: FtpSession): boolean {
  return !session.secure && tlsRequired(session);
}

export const user: FtpCommand = {
  names: ["USER"],
  needsLogin: false,
  argument: "required",
  help: "USER <name>",
  run(session, name) {
    if (tlsMissing(session)) return session.reply(530, "TLS is required: send AUTH TLS before logging in");
    if (session.loggedIn) session.logOut();
    session.pendingUser = name;
    if (ANONYMOUS.has(name.toLowerCase()) && session.context.config.ftp.anonymous) return session.reply(331, "Anonymous login ok, send any password");
    session.reply(331, `Password required for ${name}`);
  },
};

export const pass: FtpCommand = {
  names: ["PASS"],
  needsLogin: false,
  argument: "optional",
  help: "PASS <password>",
  async run(session, password) {
    if (tlsMissing(session)) return session.reply(530, "TLS is required: send AUTH TLS before logging in");
    if (session.loggedIn) return session.reply(503, "Already logged in");
    const name = session.pendingUser;
    if (name === null) return session.reply(503, "Login with USER first");
    session.pendingUser = null;
    const { accounts, files, config, log } = session.context;
    if (ANONYMOUS.has(name.toLowerCase()) && config.ftp.anonymous) {
      session.space = await files.openPublic();
      session.anonymous = true;
      log.info({ address: session.address }, "anonymous ftp login");
      return session.reply(230, "Anonymous access granted (read-only)");
    }
    const result = await accounts.login(name, password, session.address, "ftp");
    if (session.closed) return;
    if (!result.ok) {
      session.failedLogins++;
      if (result.reason === "throttled") session.reply(421, `Too many failed logins; try again in ${secondsText(result.retryAfterSeconds ?? 60)}`);
      else session.reply(530, "Login incorrect");
      if (result.reason === "throttled" || session.failedLogins >= config.ftp.maxLoginAttempts) session.close();
      return;
    }
    const { space, release } = await files.acquire(result.account.name);
    // The client went away while the space opened (its first opening walks the whole folder):
    // close() has run, and would never release it; held for good, it would never be measured again.
    if (session.closed) return release();
    session.account = result.account;
    session.space = space;
    session.releaseSpace = release;
    session.reply(230, `User ${result.account.name} logged in`);
  },
};

export const acct: FtpCommand = {
  names: ["ACCT"],
  needsLogin: false,
  argument: "optional",
  help: "ACCT (not needed)",
  run: (session) => session.reply(502, "ACCT is not implemented; no account information is needed"),
};

export const rein: FtpCommand = {
  names: ["REIN"],
  needsLogin: false,
  argument: "none",
  help: "REIN — log out, keep the connection",
  async run(session) {
    // RFC 959: REIN flushes the login "allowing any transfer in progress to be completed": the
    // transfer's own final reply comes first, then the 220 of a session as new.
    await session.transferCompleted();
    session.reinitialize();
    session.reply(220, "Service ready for new user");
  },
};

export const quit: FtpCommand = {
  names: ["QUIT"],
  needsLogin: false,
  argument: "none",
  help: "QUIT",
  async run(session) {
    // RFC 959: a transfer in progress is let finish and answered first; aborting it would throw
    // away an upload whose client sent QUIT right after its last byte.
    await session.transferCompleted();
    session.reply(221, "Goodbye");
    session.close();
  },
};
