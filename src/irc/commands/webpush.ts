import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { unescapeTagValue } from "../message.js";
import { ERR } from "../numerics.js";
import { foldCase } from "../../core/chat/names.js";
import type { RegisterRefusal } from "../../core/push/push-subscriptions.js";

/** `<keys>` of REGISTER: message-tag syntax, `p256dh=…;auth=…`, values escaped as tag values. */
function parseKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const item of text.split(";")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    keys.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? "" : unescapeTagValue(item.slice(eq + 1)));
  }
  return keys;
}

/** `FAIL WEBPUSH <code> <subcommand> [<endpoint>] :<text>`, the spec's error form. */
function fail(connection: IrcConnection, code: string, subcommand: string, endpoint: string | undefined, text: string): void {
  connection.serverLine("FAIL", "WEBPUSH", code, subcommand, ...(endpoint === undefined ? [] : [endpoint]), text);
}

function refusal(connection: IrcConnection, endpoint: string, refused: RegisterRefusal): void {
  switch (refused.reason) {
    case "invalid-keys":
    case "invalid-endpoint":
      fail(connection, "INVALID_PARAMS", "REGISTER", endpoint, refused.why);
      return;
    case "too-many":
      fail(connection, "FORBIDDEN", "REGISTER", endpoint, `Too many push subscriptions (at most ${connection.context.config.push.maxSubscriptionsPerAccount}); unregister one first`);
      return;
    case "stale-credentials":
      // The password changed since this connection logged in (it is about to be ended): a push
      // subscription would outlive the change that deleted the account's others.
      fail(connection, "FORBIDDEN", "REGISTER", endpoint, "The account's password changed since this connection logged in; log in again to register");
      return;
    case "no-such-account":
    case "unavailable":
      fail(connection, "INTERNAL_ERROR", "REGISTER", endpoint, "The subscription could not be stored");
      return;
  }
}

/**
 * IRCv3 draft/webpush: `WEBPUSH REGISTER <endpoint> <keys>` subscribes this device to
 * notifications (DMs and mentions) sent by Web Push while it is not connected, answered
 * `WEBPUSH REGISTER <endpoint>`; `WEBPUSH UNREGISTER <endpoint>` removes it, echoed back
 * (also when there was none). Subscriptions belong to accounts: a guest gets
 * ACCOUNT_REQUIRED, and a connection logged in before the account's password changed
 * (not yet ended) FORBIDDEN. The VAPID key to subscribe with is in ISUPPORT `VAPID`.
 */
export const webpush: RegisteredCommand = {
  name: "WEBPUSH",
  minParams: 0,
  when: "registered",
  help: "WEBPUSH REGISTER <endpoint> <p256dh=…;auth=…> | WEBPUSH UNREGISTER <endpoint> — Web Push notifications (draft/webpush)",
  async run(connection, _user, params) {
    const push = connection.context.push;
    if (push === null || !connection.context.config.push.enabled) {
      connection.numeric(ERR.UNKNOWNCOMMAND, "WEBPUSH", "Unknown command");
      return;
    }
    const subcommand = (params[0] ?? "").toUpperCase();
    const endpoint = params[1];
    const wanted = subcommand === "REGISTER" ? 3 : subcommand === "UNREGISTER" ? 2 : null;
    if (wanted === null) {
      fail(connection, "INVALID_PARAMS", subcommand === "" ? "*" : subcommand, endpoint, "Unknown subcommand; use REGISTER or UNREGISTER");
      return;
    }
    if (endpoint === undefined || endpoint === "" || params.length !== wanted) {
      fail(connection, "INVALID_PARAMS", subcommand, endpoint, subcommand === "REGISTER" ? "Usage: WEBPUSH REGISTER <endpoint> <keys>" : "Usage: WEBPUSH UNREGISTER <endpoint>");
      return;
    }
    const loggedIn = connection.account;
    if (loggedIn === null) {
      fail(connection, "ACCOUNT_REQUIRED", subcommand, endpoint, "You must be logged in to an account to receive push notifications");
      return;
    }
    const account = loggedIn.name;
    if (subcommand === "UNREGISTER") {
      const removed = await push.subscriptions.unregister(foldCase(account), endpoint);
      if (removed.ok) connection.serverLine("WEBPUSH", "UNREGISTER", endpoint);
      else fail(connection, "INTERNAL_ERROR", "UNREGISTER", endpoint, "The subscription could not be removed");
      return;
    }
    const keys = parseKeys(params[2]!);
    const result = await push.subscriptions.register(foldCase(account), connection.id, loggedIn.credentialsVersion, endpoint, { p256dh: keys.get("p256dh"), auth: keys.get("auth") });
    if (result.ok) connection.serverLine("WEBPUSH", "REGISTER", endpoint);
    else refusal(connection, endpoint, result);
  },
};
