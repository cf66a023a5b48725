import { randomBytes } from "node:crypto";
import type { ChatUser } from "../../core/chat/user.js";
import type { HistoryQuery, HistoryRef, StoredMessage } from "../../core/chat/history.js";
import { historyAccess, namedConversations, type NameDirectory } from "../../core/chat/history-access.js";
import { foldCase } from "../../core/chat/names.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { withBatch } from "../batch.js";
import { storedMessageLine } from "../history-lines.js";
import { formatLine } from "../format.js";
import { serverTime } from "../event-lines.js";
import { parseTimestampParam } from "../timestamp-param.js";

/** Most messages one CHATHISTORY request returns (ISUPPORT CHATHISTORY). */
export const CHATHISTORY_MAX = 100;

type Fail = (code: string, ...context: string[]) => void;

/** The subcommands this server answers; any other is UNKNOWN_COMMAND, whatever follows it. */
const SUBCOMMANDS = ["LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

function isSubcommand(text: string): text is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(text);
}

function parseRef(text: string | undefined): HistoryRef | null | "invalid" {
  if (text === "*") return null;
  if (text?.startsWith("timestamp=")) {
    // The spec's format only, as MARKREAD takes it: Date.parse would read "2030" or a time with no zone as some time.
    const time = parseTimestampParam(text);
    return time !== null ? { kind: "time", time } : "invalid";
  }
  if (text?.startsWith("msgid=") && text.length > 6) return { kind: "msgid", msgid: text.slice(6) };
  return "invalid";
}

/** A positive whole number, capped at CHATHISTORY_MAX however many digits it has. */
function parseLimit(text: string | undefined): number | null {
  if (!text || !/^\d+$/.test(text) || /^0+$/.test(text)) return null;
  return Math.min(Number(text), CHATHISTORY_MAX);
}

/** What the history rule asks of the accounts. */
function names(connection: IrcConnection): NameDirectory {
  const { accounts } = connection.context;
  return { exists: async (name) => (await accounts.find(name)) !== undefined, retired: (name) => accounts.isRetired(name) };
}

/** The history key `user` may read for `target` (the one rule in core), or null. */
async function historyKey(connection: IrcConnection, user: ChatUser, target: string): Promise<string | null> {
  const access = await historyAccess(connection.context.core, names(connection), { account: user.account, user }, target);
  return access.ok ? access.key : null;
}

async function messages(connection: IrcConnection, subcommand: Exclude<Subcommand, "TARGETS">, key: string, params: readonly string[], fail: Fail): Promise<StoredMessage[] | null> {
  const history = connection.context.history!;
  const query = (q: Omit<HistoryQuery, "target">): Promise<StoredMessage[]> => history.query({ target: key, ...q });
  if (subcommand === "BETWEEN") {
    const [from, to, limit] = [parseRef(params[2]), parseRef(params[3]), parseLimit(params[4])];
    if (from === "invalid" || to === "invalid" || !from || !to || limit === null) return fail("INVALID_PARAMS", subcommand), null;
    // The store walks from the first reference towards the second, whichever is older.
    return query({ direction: "after", from, to, limit });
  }
  const [ref, limit] = [parseRef(params[2]), parseLimit(params[3])];
  if (ref === "invalid" || limit === null || (ref === null && subcommand !== "LATEST")) return fail("INVALID_PARAMS", subcommand), null;
  switch (subcommand) {
    case "LATEST":
      // The newest messages, and with a reference only those after it.
      return query({ direction: "before", from: null, to: ref, limit });
    case "BEFORE":
      return query({ direction: "before", from: ref, to: null, limit });
    case "AFTER":
      return query({ direction: "after", from: ref, to: null, limit });
    case "AROUND": {
      // `limit` messages centred on the reference, the reference included: floor(limit/2) before
      // it, then it and what follows (more of them when fewer came before).
      const before = await query({ direction: "before", from: ref, to: null, limit: Math.floor(limit / 2) });
      const after = await query({ direction: "after", from: ref, fromInclusive: true, to: null, limit: limit - before.length });
      return [...before, ...after];
    }
  }
}

async function targets(connection: IrcConnection, user: ChatUser, params: readonly string[], fail: Fail): Promise<void> {
  const [from, to, limit] = [parseRef(params[1]), parseRef(params[2]), parseLimit(params[3])];
  if (!from || !to || from === "invalid" || to === "invalid" || from.kind !== "time" || to.kind !== "time" || limit === null) return fail("INVALID_PARAMS", "TARGETS");
  const [low, high] = from.time < to.time ? [from.time, to.time] : [to.time, from.time];
  const channelKeys = [...user.channels.values()].map((c) => c.folded);
  const account = user.account && foldCase(user.account);
  // Each under the name CHATHISTORY reads it by now: one that name does not open is left out.
  const found = await namedConversations(connection.context.core, names(connection), account, limit, (count) =>
    connection.context.history!.conversations(channelKeys, account, low, high, count),
  );
  withBatch(connection, "draft/chathistory-targets", [], (batch) => {
    for (const conversation of found) {
      connection.sendLine(formatLine(connection.context.serverName, "CHATHISTORY", ["TARGETS", conversation.name, serverTime(conversation.latest)], batch ? [["batch", batch]] : null));
    }
  });
}

/** The stored messages as written for this client, in a `chathistory` batch when it negotiated `batch` (the end after them all). */
function* historyLines(connection: IrcConnection, target: string, found: readonly StoredMessage[]): Generator<string> {
  const batch = connection.caps.has("batch") ? randomBytes(6).toString("base64url") : null;
  const server = connection.context.serverName;
  if (batch) yield formatLine(server, "BATCH", [`+${batch}`, "chathistory", target]);
  for (const message of found) yield storedMessageLine(message, connection.variant, batch, true);
  if (batch) yield formatLine(server, "BATCH", [`-${batch}`]);
}

export const chathistory: RegisteredCommand = {
  name: "CHATHISTORY",
  minParams: 1,
  when: "registered",
  help: "CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN <target> <ref> [<ref>] <limit> | TARGETS <ref> <ref> <limit> — stored messages (IRCv3 draft/chathistory)",
  async run(connection, user, params) {
    const subcommand = params[0]!.toUpperCase();
    const fail: Fail = (code, ...context) => connection.serverLine("FAIL", "CHATHISTORY", code, ...context, "Cannot fetch history");
    // The subcommand first (IRCv3 chathistory): an unknown one is UNKNOWN_COMMAND, not a
    // complaint about parameters it does not have. With history off, none is known.
    if (!connection.context.history || !isSubcommand(subcommand)) return fail("UNKNOWN_COMMAND", subcommand);
    if (params.length < (subcommand === "BETWEEN" ? 5 : 4)) return fail("NEED_MORE_PARAMS", subcommand);
    try {
      if (subcommand === "TARGETS") return await targets(connection, user, params, fail);
      const target = params[1]!;
      const key = await historyKey(connection, user, target);
      if (key === null) return fail("INVALID_TARGET", subcommand, target);
      const found = await messages(connection, subcommand, key, params, fail);
      if (!found || connection.closed) return;
      // Paced: 100 long multiline messages are many times the send queue.
      connection.sendPaced(historyLines(connection, target, found));
    } catch (error) {
      connection.context.log.error({ err: error }, "CHATHISTORY failed");
      fail("MESSAGE_ERROR", subcommand);
    }
  },
};
