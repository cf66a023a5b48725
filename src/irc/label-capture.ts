import { labelReplies } from "./labeled-response.js";

/**
 * The replies of one running command that carries an IRCv3 label, collected to be sent
 * labelled when it ends (labeled-response.ts). Made when such a command starts and
 * dropped when it is answered, so a connection holds none between commands.
 */
export class LabelCapture {
  readonly lines: string[] = [];
  /** During the asynchronous part of the command, events from others are not replies. */
  capturesEvents = true;
  /** The command's label was taken for a later reply (IrcConnection.takeLabel): no ACK for it now. */
  taken = false;

  /**
   * What to write when the command is done: its replies labelled (an ACK when there are
   * none), or as they are when the label was taken; null when that is nothing.
   */
  answer(label: string, serverName: string): Buffer | null {
    if (!this.taken) return Buffer.from(labelReplies(label, this.lines, serverName));
    return this.lines.length === 0 ? null : Buffer.from(this.lines.join(""));
  }
}
