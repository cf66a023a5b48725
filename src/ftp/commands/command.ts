import type { FtpSession } from "../ftp-session.js";

export interface FtpCommand {
  /** The verb and its aliases (XPWD for PWD…). */
  readonly names: readonly string[];
  /** Refused with 530 until USER/PASS succeeded. */
  readonly needsLogin: boolean;
  /** Whether the command takes an argument; a missing required one gets 501. */
  readonly argument: "none" | "optional" | "required";
  readonly help: string;
  run(session: FtpSession, argument: string): void | Promise<void>;
}
