import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { isPasswordProblem } from "../../auth/password-policy.js";
import { isValidEmail, MAX_EMAIL_LENGTH, type AccountService } from "../../core/accounts/account-service.js";
import { addressLimitText, SELF_REGISTRATION_OFF_TEXT } from "../../core/accounts/registration-limit.js";
import { foldCase } from "../../core/chat/names.js";
import { applyAccountChoices, logIn, logOut } from "../accounts/login.js";
import { serviceNotice } from "./service-bot.js";
import { secondsText } from "../../core/accounts/login-guard.js";
import { plaintextPasswordAllowed } from "../accounts/plaintext.js";

const HELP = [
  "NickServ lets you register your nick as an account and log in to it.",
  "REGISTER <password> [email]   register your current nick",
  "IDENTIFY [account] <password> log in",
  "LOGOUT                        log out",
  "SET PASSWORD <current> <new>  change your password (the current one without spaces here)",
  "SET MULTICLIENT ON|OFF|DEFAULT  whether your connections share one nick and channels",
  "SET ALWAYS-ON ON|OFF|DEFAULT  stay in your channels while no connection is open",
  "GHOST <nick>                  disconnect someone using your account's nick",
  "INFO [account]                when an account was registered",
  "DROP <password>               delete your account",
];

const registerProblems: Record<string, string> = {
  "invalid-name": "Your nick cannot be an account name",
  "name-taken": "That nick is already registered",
  "name-retired": "That nick belonged to an account that was dropped; it cannot be registered again",
};

/** Why a registration or password change failed, in words (password limits as configured). */
function problemText(reason: string, accounts: AccountService): string {
  return isPasswordProblem(reason) ? accounts.passwordProblemText(reason) : (registerProblems[reason] ?? reason);
}

type Reply = (text: string) => void;

/** The answer to a password check the brute-force guard refused (the password was not checked): when to try again. */
function tooManyFailures(retryAfterSeconds: number | undefined): string {
  return `Too many failed attempts; try again in ${secondsText(retryAfterSeconds ?? 60)}.`;
}

/**
 * Why this connection may not be logged out alone, or null when it may: the user has other
 * connections (here or on other nodes), or it is a user of another node attached here
 * (multiclient across nodes), held there, possibly always-on or with connections there, which
 * this node cannot count. Logging one connection out would turn the user into a guest under
 * the others, which stay logged in.
 */
function sharedUser(user: ChatUser): string | null {
  if (user.sessionCount > 1 || user.otherNodes.size > 0) return "Your account is in use on other connections";
  if (user.node !== null) return "Your account's user is held by another node of this network (connected or always-on there)";
  return null;
}

/** Why the account `user` is logged in to may not be dropped from this connection: it has other connections, of this user (on any node) or other users; null when none. */
function inUseElsewhere(connection: IrcConnection, user: ChatUser): string | null {
  const shared = sharedUser(user);
  if (shared !== null) return shared;
  const account = connection.account;
  const others = account !== null && connection.context.core.usersOfAccount(foldCase(account.name)).some((other) => other !== user);
  return others ? "Your account is in use on other connections" : null;
}

/** Refused, with the reason, where a password may not arrive in clear (the rule of SASL PLAIN: plaintext.ts). */
function clearPasswordRefused(connection: IrcConnection, reply: Reply): boolean {
  if (plaintextPasswordAllowed(connection)) return false;
  reply("A password in clear needs a TLS connection: connect over TLS (or log in with SASL SCRAM-SHA-256).");
  return true;
}

/** The words of a command line and, for each, the rest of the line from it as typed: a password keeps its spaces and tabs. */
function splitCommand(text: string): { words: string[]; restFrom: (index: number) => string } {
  const trimmed = text.replace(/^\s+|\s+$/g, "");
  const words: string[] = [];
  const starts: number[] = [];
  for (const match of trimmed.matchAll(/\S+/g)) {
    words.push(match[0]);
    starts.push(match.index);
  }
  return { words, restFrom: (index) => (index < starts.length ? trimmed.slice(starts[index]) : "") };
}

async function identify(connection: IrcConnection, user: ChatUser, args: string[], rest: (index: number) => string, reply: Reply): Promise<void> {
  if (connection.account) return reply(`You are already logged in as ${connection.account.name}.`);
  // rest(0) is the text after IDENTIFY: "<password>" or "<account> <password>", the password as typed.
  const [name, password] = args.length >= 2 ? [args[0]!, rest(1)] : [user.nick, args[0]];
  if (!password) return reply("Syntax: IDENTIFY [account] <password>");
  if (clearPasswordRefused(connection, reply)) return;
  const result = await connection.context.accounts.login(name, password, connection.address, "irc-nickserv");
  if (connection.closed) return;
  if (!result.ok) {
    return reply(result.reason === "throttled" ? tooManyFailures(result.retryAfterSeconds) : "Invalid account or password.");
  }
  // Said with the 900, after the rename when the connection joins the account's online user.
  await logIn(connection, result.account, () => reply(`You are now logged in as ${result.account.name}.`));
}

async function register(connection: IrcConnection, user: ChatUser, args: string[], reply: Reply): Promise<void> {
  if (connection.account) return reply(`You are already logged in as ${connection.account.name}.`);
  const [password, email, ...extra] = args;
  // "REGISTER my pass phrase" would register the password "my": refuse instead of guessing.
  if (!password || extra.length > 0) {
    return reply("Syntax: REGISTER <password> [email] (the password cannot contain spaces here; use the REGISTER command or the web client for a pass phrase)");
  }
  // The rule of every door (the HTTP API's); the address is not repeated: it may be the second word of a pass phrase.
  if (email !== undefined && !isValidEmail(email)) {
    return reply(
      `Registration failed: the word after the password is not a valid e-mail address (at most ${MAX_EMAIL_LENGTH} characters). ` +
        "Syntax: REGISTER <password> [email]; for a pass phrase use the REGISTER command or the web client.",
    );
  }
  if (clearPasswordRefused(connection, reply)) return;
  const result = await connection.context.accounts.registerFrom(user.nick, password, email ?? null, connection.address, "irc-nickserv");
  if (connection.closed) return;
  if (!result.ok) {
    if (result.reason === "throttled") return reply(`Too many attempts; try again in ${secondsText(result.retryAfterSeconds)}.`);
    if (result.reason === "address-limit") return reply(`Registration failed: ${addressLimitText(result.retryAfterSeconds)}.`);
    if (result.reason === "disabled") return reply(`Registration failed: ${SELF_REGISTRATION_OFF_TEXT}.`);
    const nameText = result.reason === "invalid-name" ? connection.context.accounts.nameProblemText(user.nick) : null;
    return reply(`Registration failed: ${nameText ?? problemText(result.reason, connection.context.accounts)}.`);
  }
  reply(`Your nick ${result.account.name} is registered; you are now logged in.`);
  await logIn(connection, result.account);
}

/**
 * SET PASSWORD: the current password first, as over HTTP. A session does not prove its user knows
 * the password (it may have logged in with a 15-minute token, or be a client left unattended),
 * and the password opens the account for good. A wrong current password is a failed login.
 */
async function setPassword(connection: IrcConnection, current: string, next: string, reply: Reply): Promise<void> {
  const { accounts } = connection.context;
  const name = connection.account!.name;
  const check = await accounts.login(name, current, connection.address, "irc-nickserv");
  if (connection.closed) return;
  if (!check.ok) return reply(check.reason === "throttled" ? tooManyFailures(check.retryAfterSeconds) : "The current password is wrong; the password was not changed.");
  // This connection made the change: the account's other sessions end (account-sessions.ts), not this one.
  const result = await accounts.changePassword(name, next, connection);
  if (connection.closed) return;
  if (result.ok) {
    // The account as the change left it: this connection now holds the new credentials, so
    // what checks them (WEBPUSH REGISTER) takes it as logged in under the new password.
    const changed = await accounts.findById(connection.account!.id);
    if (connection.closed) return;
    if (changed) connection.account = changed;
  }
  reply(result.ok ? "Your password has been changed." : `Password not changed: ${problemText(result.reason, accounts)}.`);
}

const choiceValues: Record<string, boolean | null> = { ON: true, OFF: false, DEFAULT: null };

/** SET MULTICLIENT / SET ALWAYS-ON: stored with the account, applied to the user at once. */
async function setChoice(connection: IrcConnection, user: ChatUser, setting: "MULTICLIENT" | "ALWAYS-ON", word: string | undefined, reply: Reply): Promise<void> {
  const value = choiceValues[(word ?? "").toUpperCase()];
  if (value === undefined) return reply(`Syntax: SET ${setting} <ON|OFF|DEFAULT>`);
  if (!connection.account) return reply("Log in first.");
  const key = setting === "MULTICLIENT" ? "multiclient" : "alwaysOn";
  const account = await connection.context.accounts.setSetting(connection.account, key, value);
  if (connection.closed) return;
  connection.account = account;
  // Every user of the account follows its choice (without multiclient there may be several).
  for (const other of connection.context.core.usersOfAccount(foldCase(account.name))) applyAccountChoices(connection, other, account);
  const effective = key === "multiclient" ? user.multiclient : user.alwaysOn;
  reply(`${setting} is now ${effective ? "ON" : "OFF"}${value === null ? " (the server's default)" : ""}.`);
}

/** Runs one NickServ command; passwords in it are never logged or stored. */
export async function nickServ(connection: IrcConnection, user: ChatUser, text: string): Promise<void> {
  const { words, restFrom } = splitCommand(text);
  const [command = "", ...args] = words;
  /** The rest of the line from the argument at `index` (0: the first after the command), as typed. */
  const rest = (index: number): string => restFrom(index + 1);
  const reply: Reply = (line) => serviceNotice(connection, "NickServ", line);
  const { accounts, core } = connection.context;
  switch (command.toUpperCase()) {
    case "IDENTIFY":
    case "LOGIN":
      return await identify(connection, user, args, rest, reply);
    case "REGISTER":
      return await register(connection, user, args, reply);
    case "LOGOUT":
      if (!connection.account) return reply("You are not logged in.");
      const shared = sharedUser(user);
      if (shared !== null) return reply(`${shared}; QUIT this one instead.`);
      logOut(connection);
      return reply("You are now logged out.");
    case "SET": {
      const setting = (args[0] ?? "").toUpperCase();
      if (setting === "MULTICLIENT" || setting === "ALWAYS-ON") return await setChoice(connection, user, setting, args[1], reply);
      if (setting !== "PASSWORD" || args.length < 3) return reply("Syntax: SET PASSWORD <current password> <new password> | SET MULTICLIENT <ON|OFF|DEFAULT> | SET ALWAYS-ON <ON|OFF|DEFAULT>");
      if (!connection.account) return reply("Log in first.");
      if (clearPasswordRefused(connection, reply)) return;
      // The new password is the rest of the line as typed (a pass phrase keeps its spaces).
      return await setPassword(connection, args[1]!, rest(2), reply);
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
      if (clearPasswordRefused(connection, reply)) return;
      const name = connection.account.name;
      const check = await accounts.login(name, rest(0), connection.address, "irc-nickserv");
      if (connection.closed) return;
      // Refused for the brute-force wait, the password was not checked: say so, as SET PASSWORD does.
      if (!check.ok) return reply(check.reason === "throttled" ? tooManyFailures(check.retryAfterSeconds) : "Invalid password; the account was not dropped.");
      // The other connections, on any node, whether they share this user (multiclient) or are
      // users of their own, would stay logged in to an account that is gone.
      const inUse = inUseElsewhere(connection, user);
      if (inUse !== null) return reply(`${inUse}; QUIT them first, then DROP.`);
      logOut(connection);
      await accounts.delete(name);
      return reply(`The account ${name} has been dropped; the name cannot be registered again.`);
    }
    case "HELP":
    case "":
      for (const line of HELP) reply(line);
      return;
    default:
      return reply(`Unknown command ${command}. Try HELP.`);
  }
}
