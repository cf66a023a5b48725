import { isLoopback } from "../net/address.js";
import type { FtpSession } from "./ftp-session.js";

/**
 * Whether `ftp.tls: required` holds this session to TLS: its login and its data (as
 * vsftpd's force_local_logins_ssl and force_local_data_ssl, both on by default there).
 * Not under `optional` or `off`, nor for a loopback client with `ftp.trustLoopback`
 * (a local client, or a local proxy that terminates TLS in front of the server).
 */
export function tlsRequired(session: FtpSession): boolean {
  const ftp = session.context.config.ftp;
  return ftp.tls === "required" && !(ftp.trustLoopback && isLoopback(session.address));
}
