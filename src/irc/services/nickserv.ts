import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { passwordProblemText } from "../../auth/password-policy.js";
import { foldCase } from "../../core/chat/names.js";
import { logIn, logOut } from "../accounts/login.js";
import { serviceNotice } from "./service-bot.js";

const HELP = [
  "NickServ lets you register your nick as an account and log in to it.",
  "REGISTER <password> [email]   register your current nick",
  "IDENTIFY [account] <password> log in",
  "LOGOUT                        log out",
  "SET PASSWORD <new password>   change your password",
  "GHOST <nick>                  disconnect someone using your account's nick",
  "INFO [account]                when an account was registered",
  "DROP <password>               delete your account",
];

const registerProblems: Record<string, string> = {
  ...passwordProblemText,
  "invalid-name": "Your nick cannot be an account name",
  "name-taken": "That nick is already registered",
};

type Reply = (text: string) => void;

async function identify(connection: IrcConnection, user: ChatUser, args: string[], reply: Reply): Promise<void> {
  if (connection.account) return reply(`You are already logged in as ${connection.account.name}.`);
  const [name, password] = args.length >= 2 ? [args[0]!, args.slice(1).join(" ")] : [user.nick, args[0]];
  if (!password) return reply("Syntax: IDENTIFY [account] <password>");
  const result = await connection.context.accounts.login(name, password, connection.address, "irc-nickserv");
  if (connection.closed) return;
  if (!result.ok) {
    return reply(result.reason === "throttled" ? `Too many failed attempts; try again in ${result.retryAfterSeconds ?? 60} seconds.` : "Invalid account or password.");
  }
  reply(`You are now logged in as ${result.account.name}.`);
  await logIn(connection, result.account);
}

async function register(connection: IrcConnection, user: ChatUser, args: string[], reply: Reply): Promise<void> {
  if (connection.account) return reply(`You are already logged in as ${connection.account.name}.`);
  const [password, email, ...extra] = args;
  // "REGISTER my pass phrase" would register the password "my": refuse instead of guessing.
  if (!password || extra.length > 0 || (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email))) {
    return reply("Syntax: REGISTER <password> [email] (the password cannot contain spaces here; use the REGISTER command or the web client for a pass phrase)");
  }
  const result = await connection.context.accounts.registerFrom(user.nick, password, email ?? null, connection.address, "irc-nickserv");
  if (connection.closed) return;
  if (!result.ok) {
    if (result.reason === "throttled") return reply(`Too many attempts; try again in ${result.retryAfterSeconds} seconds.`);
    return reply(`Registration failed: ${registerProblems[result.reason] ?? result.reason}.`);
  }
  reply(`Your nick ${result.account.name} is registered; you are now logged in.`);
  await logIn(connection, result.account);
}

/** Runs one NickServ command; passwords in it are never logged or stored. */
export async function nickServ(connection: IrcConnection, user: ChatUser, text: string): Promise<void> {
  const [command = "", ...args] = text.trim().split(/\s+/);
  const reply: Reply = (line) => serviceNotice(connection, "NickServ", line);
  const { accounts, core } = connection.context;
  switch (command.toUpperCase()) {
    case "IDENTIFY":
    case "LOGIN":
      return await identify(connection, user, args, reply);
    case "REGISTER":
      return await register(connection, user, args, reply);
    case "LOGOUT":
      if (!connection.account) return reply("You are not logged in.");
      logOut(connection);
      return reply("You are now logged out.");
    case "SET":
      if ((args[0] ?? "").toUpperCase() !== "PASSWORD" || !args[1]) return reply("Syntax: SET PASSWORD <new password>");
      if (!connection.account) return reply("Log in first.");
      {
        const result = await accounts.changePassword(connection.account.name, args.slice(1).join(" "));
        return reply(result.ok ? "Your password has been changed." : `Password not changed: ${registerProblems[result.reason] ?? result.reason}.`);
      }
    case "GHOST": {
      const target = args[0];
      if (!target) return reply("Syntax: GHOST <nick>");
      if (!connection.account || foldCase(connection.account.name) !== foldCase(target)) return reply("You may only ghost the nick of the account you are logged in to.");
      const holder = core.findUser(target);
      if (!holder || holder === user) return reply(`${target} is not in use by anyone else.`);
      core.kill(holder, `Ghosted by ${user.nick}`);
      return reply(`${holder.nick} has been disconnected.`);
    }
    case "INFO": {
      const account = await accounts.find(args[0] ?? user.nick);
      if (!account) return reply(`${args[0] ?? user.nick} is not registered.`);
      return reply(`${account.name} was registered on ${new Date(account.createdAt).toUTCString()}.`);
    }
    case "DROP": {
      if (!connection.account) return reply("Log in first.");
      if (!args[0]) return reply("Syntax: DROP <password>");
      const name = connection.account.name;
      const check = await accounts.login(name, args.join(" "), connection.address, "irc-nickserv");
      if (!check.ok) return reply("Invalid password; the account was not dropped.");
      logOut(connection);
      await accounts.delete(name);
      return reply(`The account ${name} has been dropped.`);
    }
    case "HELP":
    case "":
      for (const line of HELP) reply(line);
      return;
    default:
      return reply(`Unknown command ${command}. Try HELP.`);
  }
}
