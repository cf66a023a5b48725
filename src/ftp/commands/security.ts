import type { FtpCommand } from "./command.js";
import { tlsRequired } from "../tls-policy.js";

export const auth: FtpCommand = {
  names: ["AUTH"],
  needsLogin: false,
  argument: "required",
  help: "AUTH TLS — protect the control connection (RFC 4217)",
  run(session, mechanism) {
    const kind = mechanism.toUpperCase();
    if (session.context.config.ftp.tls === "off" || !session.context.tls) return session.reply(502, "TLS is not available on this server");
    if (kind !== "TLS" && kind !== "TLS-C" && kind !== "SSL") return session.reply(504, "Only AUTH TLS is supported");
    if (session.secure) return session.reply(503, "TLS is already active");
    // RFC 2228 §3: an AUTH accepted removes what came before it, and the user must log in again,
    // now over TLS: a login made in clear text is not carried into the protected session.
    if (session.loggedIn) session.reinitialize();
    else session.logOut();
    session.reply(234, "AUTH TLS successful");
    session.startTls();
  },
};

export const pbsz: FtpCommand = {
  names: ["PBSZ"],
  needsLogin: false,
  argument: "required",
  help: "PBSZ 0",
  run(session, size) {
    if (!session.secure) return session.reply(503, "PBSZ needs AUTH TLS first");
    session.protectionBufferSet = true;
    session.reply(200, size === "0" ? "PBSZ=0" : "PBSZ=0 (the only size for TLS)");
  },
};

export const prot: FtpCommand = {
  names: ["PROT"],
  needsLogin: false,
  argument: "required",
  help: "PROT P|C — protect the data connections, or not",
  run(session, level) {
    if (!session.secure || !session.protectionBufferSet) return session.reply(503, "PROT needs AUTH TLS and PBSZ first");
    switch (level.toUpperCase()) {
      case "P":
        session.protectData = true;
        return session.reply(200, "Protection level set to Private");
      case "C":
        // RFC 4217 9: a server that will not take clear data connections refuses PROT C with 534.
        if (tlsRequired(session)) return session.reply(534, "Request denied for policy reasons: data connections must be protected (PROT P)");
        session.protectData = false;
        return session.reply(200, "Protection level set to Clear");
      default:
        return session.reply(536, "Only PROT P and PROT C are supported");
    }
  },
};
