import type { FtpCommand } from "./command.js";
import { commandHelp, commandNames } from "./index.js";
import { mlstFeature, selectFacts } from "../listing.js";

/** What FEAT offers; the MLST line (its facts marked as the session selected them) is made per session. */
const FEATURES = ["AUTH TLS", "PBSZ", "PROT", "EPRT", "EPSV", "MDTM", "MFMT", "SIZE", "REST STREAM", "MLST", "UTF8", "TVFS"];

export const feat: FtpCommand = {
  names: ["FEAT"],
  needsLogin: false,
  argument: "none",
  help: "FEAT (RFC 2389)",
  run(session) {
    const offered = session.context.config.ftp.tls === "off" ? FEATURES.filter((f) => !/^(AUTH|PBSZ|PROT)/.test(f)) : FEATURES;
    const features = offered.map((feature) => (feature === "MLST" ? mlstFeature(session.mlstFacts) : feature));
    session.reply(211, ["Features:", ...features, "End"]);
  },
};

export const opts: FtpCommand = {
  names: ["OPTS"],
  needsLogin: false,
  argument: "required",
  help: "OPTS UTF8 ON | OPTS MLST facts",
  run(session, argument) {
    const [option = "", value = ""] = argument.split(" ");
    switch (option.toUpperCase()) {
      case "UTF8":
        // Names are always UTF-8 here (RFC 2640); OFF is accepted but changes nothing.
        return session.reply(200, value.toUpperCase() === "OFF" ? "UTF8 stays on: names are always UTF-8" : "UTF8 mode on");
      case "MLST": {
        // The reply names the facts that will be sent, not those asked for (RFC 3659 §7.9).
        session.mlstFacts = selectFacts(value);
        const selected = session.mlstFacts.map((fact) => `${fact};`).join("");
        return session.reply(200, selected === "" ? "MLST OPTS" : `MLST OPTS ${selected}`);
      }
      default:
        return session.reply(501, `OPTS ${option} is not supported`);
    }
  },
};

export const type: FtpCommand = {
  names: ["TYPE"],
  needsLogin: false,
  argument: "required",
  help: "TYPE A|I",
  run(session, argument) {
    const [kind = "", format = "N"] = argument.toUpperCase().split(" ");
    if (kind === "I" || (kind === "L" && format === "8")) {
      session.type = "I";
      return session.reply(200, "Type set to I");
    }
    if (kind === "A" && format === "N") {
      session.type = "A";
      return session.reply(200, "Type set to A");
    }
    session.reply(504, `TYPE ${argument} is not supported`);
  },
};

export const mode: FtpCommand = {
  names: ["MODE"],
  needsLogin: false,
  argument: "required",
  help: "MODE S",
  run: (session, argument) => (argument.toUpperCase() === "S" ? session.reply(200, "Mode set to S") : session.reply(504, "Only MODE S (stream) is supported")),
};

export const stru: FtpCommand = {
  names: ["STRU"],
  needsLogin: false,
  argument: "required",
  help: "STRU F",
  run: (session, argument) => (argument.toUpperCase() === "F" ? session.reply(200, "Structure set to F") : session.reply(504, "Only STRU F (file) is supported")),
};

export const syst: FtpCommand = {
  names: ["SYST"],
  needsLogin: false,
  argument: "none",
  help: "SYST",
  run: (session) => session.reply(215, "UNIX Type: L8"),
};

export const noop: FtpCommand = {
  names: ["NOOP"],
  needsLogin: false,
  argument: "none",
  help: "NOOP",
  run: (session) => session.reply(200, "NOOP ok"),
};

export const help: FtpCommand = {
  names: ["HELP"],
  needsLogin: false,
  argument: "optional",
  help: "HELP [command]",
  run(session, argument) {
    if (argument.trim() !== "") {
      const usage = commandHelp(argument.trim().toUpperCase());
      return usage ? session.reply(214, `Syntax: ${usage}`) : session.reply(502, `Unknown command ${argument.trim().slice(0, 20)}`);
    }
    const names = commandNames();
    const rows: string[] = [];
    for (let i = 0; i < names.length; i += 8) rows.push(names.slice(i, i + 8).join(" "));
    session.reply(214, ["The following commands are recognized:", ...rows, "Help OK"]);
  },
};

/**
 * ALLO reserves room before a STOR on systems that need it (RFC 959 §4.1.3); files
 * here grow as they are written and quotas are checked then, so nothing is needed:
 * 202, "command not implemented, superfluous at this site", as vsftpd answers.
 */
export const allo: FtpCommand = {
  names: ["ALLO"],
  needsLogin: true,
  argument: "optional",
  help: "ALLO <bytes> [R <record size>] (not needed here)",
  run: (session) => session.reply(202, "ALLO not needed: files take space as they are written"),
};
