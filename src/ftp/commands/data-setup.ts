import { isIPv4, isIPv6 } from "node:net";
import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import { ActiveChannel, PassiveChannel } from "../data-channel.js";
import { ipv6Groups, unmapAddress } from "../../net/address.js";

/**
 * Whether two textual IP addresses are one address: IPv6 has many spellings of each
 * ("::1", "0:0:0:0:0:0:0:1", "0000::0001"), and an IPv4 one may come IPv4-mapped in any of
 * them. Compared as the numbers they stand for, not as text.
 */
function sameAddress(a: string, b: string): boolean {
  const [left, right] = [canonicalAddress(a), canonicalAddress(b)];
  return left !== null && left === right;
}

/** An IPv4 address as is; an IPv6 one as its 8 groups in hex, an IPv4-mapped one as the IPv4 address; null if neither. */
function canonicalAddress(text: string): string | null {
  const plain = unmapAddress(text);
  if (isIPv4(plain)) return plain;
  if (!isIPv6(plain)) return null;
  const groups = ipv6Groups(plain);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".");
  return groups.map((g) => g.toString(16)).join(":");
}

/** RFC 2577: never connect to a privileged port, or to anyone but the client (the FTP bounce attack). */
function checkActiveTarget(session: FtpSession, host: string, port: number): string | null {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) return "Refusing to connect to a port below 1024";
  if (!sameAddress(host, session.address)) {
    session.context.log.warn({ address: session.address, target: host, port }, "ftp bounce attempt refused");
    return "Refusing to connect to an address other than yours";
  }
  return null;
}

async function openPassive(session: FtpSession): Promise<PassiveChannel | null> {
  session.closeData();
  const { ftp } = session.context.config;
  try {
    const channel = await PassiveChannel.listen(session.localAddress, { min: ftp.passivePortMin, max: ftp.passivePortMax }, session.address, session.context.log);
    // Closed while the port was being bound: close() has already run, so nothing else would close it.
    if (session.closed) {
      channel.close();
      return null;
    }
    session.data = channel;
    return channel;
  } catch (error) {
    session.context.log.error({ err: (error as Error).message }, "cannot open a passive port");
    session.reply(425, "Cannot open a passive data port");
    return null;
  }
}

export const pasv: FtpCommand = {
  names: ["PASV"],
  needsLogin: true,
  argument: "none",
  help: "PASV (IPv4)",
  async run(session) {
    if (session.epsvAll) return session.reply(501, "Only EPSV is allowed after EPSV ALL");
    // PASV can only describe IPv4 addresses; an IPv6 control connection must use EPSV. The
    // family is the control connection's: a public IPv4 address for NAT must not send an IPv6
    // client to an IPv4 address where no passive port listens for it.
    const local = unmapAddress(session.localAddress);
    if (!isIPv4(local)) return session.reply(425, "PASV is IPv4 only; use EPSV");
    const shown = session.context.config.ftp.publicAddress || local;
    const channel = await openPassive(session);
    if (!channel) return;
    const p = channel.port;
    session.reply(227, `Entering Passive Mode (${shown.split(".").join(",")},${p >> 8},${p & 255})`);
  },
};

export const epsv: FtpCommand = {
  names: ["EPSV"],
  needsLogin: true,
  argument: "optional",
  help: "EPSV [ALL|1|2] (RFC 2428)",
  async run(session, argument) {
    if (argument.toUpperCase() === "ALL") {
      session.epsvAll = true;
      return session.reply(200, "EPSV ALL ok");
    }
    const family = isIPv6(unmapAddress(session.localAddress)) ? "2" : "1";
    if (argument !== "" && argument !== family) return session.reply(522, `Network protocol not supported, use (${family})`);
    const channel = await openPassive(session);
    if (!channel) return;
    session.reply(229, `Entering Extended Passive Mode (|||${channel.port}|)`);
  },
};

export const port: FtpCommand = {
  names: ["PORT"],
  needsLogin: true,
  argument: "required",
  help: "PORT h1,h2,h3,h4,p1,p2",
  run(session, argument) {
    if (session.epsvAll) return session.reply(501, "Only EPSV is allowed after EPSV ALL");
    const parts = argument.split(",").map((n) => Number(n));
    if (parts.length !== 6 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return session.reply(501, "Syntax: PORT h1,h2,h3,h4,p1,p2");
    const host = parts.slice(0, 4).join(".");
    const target = parts[4]! * 256 + parts[5]!;
    const refusal = checkActiveTarget(session, host, target);
    if (refusal) return session.reply(504, refusal);
    session.closeData();
    session.data = new ActiveChannel(host, target);
    session.reply(200, "PORT command successful");
  },
};

export const eprt: FtpCommand = {
  names: ["EPRT"],
  needsLogin: true,
  argument: "required",
  help: "EPRT |1|a.b.c.d|port| or |2|ipv6|port| (RFC 2428)",
  run(session, argument) {
    if (session.epsvAll) return session.reply(501, "Only EPSV is allowed after EPSV ALL");
    const delimiter = argument[0];
    const fields = delimiter ? argument.split(delimiter) : [];
    if (fields.length !== 5) return session.reply(501, "Syntax: EPRT |family|address|port|");
    const [, family, host = "", portText = ""] = fields;
    if (family !== "1" && family !== "2") return session.reply(522, "Network protocol not supported, use (1,2)");
    if ((family === "1" && !isIPv4(host)) || (family === "2" && !isIPv6(host)) || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return session.reply(501, "Bad EPRT address or port");
    const refusal = checkActiveTarget(session, host, Number(portText));
    if (refusal) return session.reply(504, refusal);
    session.closeData();
    session.data = new ActiveChannel(host, Number(portText));
    session.reply(200, "EPRT command successful");
  },
};
