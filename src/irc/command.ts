import type { ChatUser } from "../core/chat/user.js";
import type { IrcConnection } from "./connection.js";
import type { IrcMessage } from "./message.js";

type Result = void | Promise<void>;

interface CommandBase {
  readonly name: string;
  /** Parameters the command needs; fewer gets ERR_NEEDMOREPARAMS (461). */
  readonly minParams: number;
  /** One line for HELP. */
  readonly help: string;
}

/** A command that works at any time, before or after registration. */
export interface AnytimeCommand extends CommandBase {
  readonly when: "any";
  run(connection: IrcConnection, params: readonly string[], message: IrcMessage): Result;
}

/** A command for registered clients; the dispatcher answers 451 before registration. */
export interface RegisteredCommand extends CommandBase {
  readonly when: "registered";
  /** Only IRC operators may use it (481 otherwise). */
  readonly operatorOnly?: boolean;
  run(connection: IrcConnection, user: ChatUser, params: readonly string[], message: IrcMessage): Result;
}

export type Command = AnytimeCommand | RegisteredCommand;
