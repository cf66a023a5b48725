import type { ChatUser } from "../../core/chat/user.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { replyFailure } from "../failure-replies.js";
import { ERR } from "../numerics.js";
import { sendNames, sendTopic, splitKeys } from "../replies.js";
import { channelTargets } from "../channel-targets.js";
import { joinMarker } from "../read-marker-lines.js";

/** Joins each channel (with its key, by position) and sends topic and names for each new one. */
export function joinChannels(connection: IrcConnection, user: ChatUser, names: readonly string[], keys: readonly (string | undefined)[]): void {
  const core = connection.context.core;
  names.forEach((name, index) => {
    const result = core.join(user, name, keys[index], connection.id);
    if (!result.ok) {
      replyFailure(connection, result.reason, name);
      return;
    }
    if (result.alreadyMember) return;
    sendTopic(connection, result.channel, false);
    sendNames(connection, user, result.channel, joinMarker(connection, result.channel));
  });
}

export const join: RegisteredCommand = {
  name: "JOIN",
  minParams: 1,
  when: "registered",
  help: "JOIN <#channel>[,<#channel>…] [<key>[,<key>…]] — join channels; JOIN 0 leaves them all",
  run(connection, user, params) {
    if (params[0] === "0") {
      for (const channel of [...user.channels.values()]) connection.context.core.part(user, channel.name, "Left all channels");
      return;
    }
    // Keys pair by position, empty items included (`JOIN #a,#b ,key`: the key is #b's).
    const targets = channelTargets(connection, params[0]!, splitKeys(params[1]));
    if (!targets) return;
    // "JOIN :" or "JOIN ,,": no channel named at all.
    if (targets.length === 0) return connection.numeric(ERR.NEEDMOREPARAMS, "JOIN", "Not enough parameters");
    const names = targets.map((t) => t.name);
    // An empty key item is no key.
    const keys = targets.map((t) => (t.key === "" ? undefined : t.key));
    const learning = connection.context.core.learnRegistrations(names);
    if (!learning) return joinChannels(connection, user, names, keys);
    // A database that cannot be asked leaves the join to what this node knows, as before.
    const join = (): void => {
      if (!connection.closed && connection.user === user) joinChannels(connection, user, names, keys);
    };
    return learning.then(join, join);
  },
};
