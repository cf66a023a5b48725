import { plaintextPasswordAllowed } from "../accounts/plaintext.js";
import type { AnytimeCommand } from "../command.js";
import { logIn } from "../accounts/login.js";
import { secondsText } from "../../core/accounts/login-guard.js";
import { addressLimitText, SELF_REGISTRATION_OFF_TEXT } from "../../core/accounts/registration-limit.js";
import { isValidEmail, MAX_EMAIL_LENGTH } from "../../core/accounts/account-service.js";

/**
 * IRCv3 draft/account-registration: `REGISTER <account|*> <email|*> <password>`,
 * before or after connection registration. No e-mail verification is needed, so
 * a successful REGISTER logs the client in at once.
 */
export const register: AnytimeCommand = {
  name: "REGISTER",
  minParams: 3,
  when: "any",
  help: "REGISTER <account|*> <email|*> <password> — create an account (IRCv3 account-registration)",
  async run(connection, params) {
    const fail = (code: string, context: string, text: string): void => connection.serverLine("FAIL", "REGISTER", code, context, text);
    const name = params[0] === "*" ? connection.nick : params[0]!;
    if (connection.account) return fail("ALREADY_AUTHENTICATED", connection.account.name, "You are already logged in");
    if (name === "*") return fail("NEED_NICK", "*", "Send NICK first, or name the account");
    // The rule of SASL PLAIN (plaintext.ts): where a password may not arrive in clear, no account is made from one.
    if (!plaintextPasswordAllowed(connection)) return fail("DISALLOWED", name, "A password in clear needs a TLS connection: connect over TLS to register");
    // "*" is no address (the spec); any other must be one the HTTP API would take too.
    const email = params[1] === "*" ? null : params[1]!;
    if (email !== null && !isValidEmail(email)) return fail("INVALID_EMAIL", name, `Not a valid e-mail address (at most ${MAX_EMAIL_LENGTH} characters); send * for none`);
    let result;
    try {
      result = await connection.context.accounts.registerFrom(name, params[2]!, email, connection.address, "irc-register");
    } catch {
      return fail("TEMPORARILY_UNAVAILABLE", name, "Accounts cannot be created right now; try again later");
    }
    if (connection.closed) return;
    if (!result.ok) {
      if (result.reason === "throttled") return fail("TEMPORARILY_UNAVAILABLE", name, `Too many attempts; try again in ${secondsText(result.retryAfterSeconds)}`);
      if (result.reason === "address-limit") return fail("TEMPORARILY_UNAVAILABLE", name, addressLimitText(result.retryAfterSeconds));
      if (result.reason === "disabled") return fail("DISALLOWED", name, SELF_REGISTRATION_OFF_TEXT);
      if (result.reason === "name-taken") return fail("ACCOUNT_EXISTS", name, "That account already exists");
      if (result.reason === "name-retired") return fail("ACCOUNT_EXISTS", name, "That account name belonged to a deleted account and cannot be registered again");
      if (result.reason === "invalid-name") return fail("BAD_ACCOUNT_NAME", name, connection.context.accounts.nameProblemText(name) ?? "Not a valid account name");
      return fail("WEAK_PASSWORD", name, connection.context.accounts.passwordProblemText(result.reason));
    }
    connection.serverLine("REGISTER", "SUCCESS", result.account.name, "Account created");
    await logIn(connection, result.account);
  },
};

export const verify: AnytimeCommand = {
  name: "VERIFY",
  minParams: 2,
  when: "any",
  help: "VERIFY <account> <code> — not needed here: accounts need no verification",
  run(connection, params) {
    connection.serverLine("FAIL", "VERIFY", "INVALID_CODE", params[0]!, "No verification is pending for this account");
  },
};
