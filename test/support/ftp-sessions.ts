import { FtpControl } from "./ftp-client.js";
import { PASSWORD, USER } from "./ftp-server.js";

export interface LoginOptions {
  readonly user?: string;
  readonly password?: string;
  /** TYPE I after the login, for tests that move bytes as they are. */
  readonly binary?: boolean;
  readonly host?: string;
}

/**
 * The control connections a test file opens, closed together after each test
 * (`afterEach(() => sessions.closeAll())`), so a test that fails midway leaves no session
 * holding the server's per-address connection slots for the next one.
 */
export class FtpSessions {
  readonly #open: FtpControl[] = [];

  /** A control connection to `port`, greeted, closed with the others. */
  async connect(port: number, host = "127.0.0.1"): Promise<FtpControl> {
    return this.adopt(await FtpControl.connect(port, host));
  }

  /** A connection opened elsewhere, closed with the others. */
  adopt(control: FtpControl): FtpControl {
    this.#open.push(control);
    return control;
  }

  /** A control connection logged in (the test account unless told otherwise). */
  async loggedIn(port: number, options: LoginOptions = {}): Promise<FtpControl> {
    const control = await this.connect(port, options.host);
    await control.login(options.user ?? USER, options.password ?? PASSWORD);
    if (options.binary) await control.command("TYPE I");
    return control;
  }

  closeAll(): void {
    for (const control of this.#open.splice(0)) control.close();
  }
}
