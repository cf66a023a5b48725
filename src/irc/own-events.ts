import type { ChatEvent } from "../core/chat/events.js";
import type { Channel } from "../core/chat/channel.js";
import type { ChatUser } from "../core/chat/user.js";
import type { IrcConnection } from "./connection.js";
import { RPL } from "./numerics.js";
import { sendNames, sendTopic } from "./replies.js";
import { wantsEvent } from "./event-filter.js";
import { joinMarker } from "./read-marker-lines.js";

/**
 * What a connection's own user did, maybe through another of its connections
 * (multiclient), as that connection must show it. Returns true when handled here;
 * false leaves the event to the rules for everyone else's events.
 */
export function deliverOwnEvent(connection: IrcConnection, event: ChatEvent, fromSession: string | null): boolean {
  switch (event.type) {
    case "join": {
      // Another connection joined (or this one attached): this one needs the topic and
      // names a JOIN reply carries; the joining connection sends them itself. Like the
      // JOIN, they answer none of this connection's commands: never in a labelled reply.
      if (fromSession === connection.id) return false;
      connection.writeEventNow(event);
      const channel = connection.context.core.findChannel(event.channel);
      const user = connection.user;
      if (channel && user) connection.sendUnlabelled(() => sendJoinReply(connection, user, channel));
      return true;
    }
    case "away":
      // The connection that sent AWAY answers it itself; the others learn the state as if they
      // had, outside the labelled reply of any command of theirs that is running.
      connection.sendUnlabelled(() => {
        if (event.message === null) connection.numeric(RPL.UNAWAY, "You are no longer marked as being away");
        else connection.numeric(RPL.NOWAWAY, "You have been marked as being away");
      });
      return true;
    case "account":
      // Each connection is told of its own login (900/901) when it logs in.
      return true;
    case "message":
      // Only a message to oneself comes back to the connection that sent it. With echo-message
      // the echo (a reply, labelled) is its one copy here; without, this delivered copy is a
      // side effect, written at once and never part of a labelled reply.
      if (fromSession !== connection.id) return false;
      if (!connection.caps.has("echo-message") && wantsEvent(connection, event)) connection.writeEventNow(event);
      return true;
    default:
      return false;
  }
}

/**
 * The topic and names of a channel another connection of the user joined. The read marker
 * before the end of the names may be written later, when a long reply is paced: it stays
 * unlabelled then too.
 */
function sendJoinReply(connection: IrcConnection, user: ChatUser, channel: Channel): void {
  sendTopic(connection, channel, false);
  const marker = joinMarker(connection, channel);
  sendNames(connection, user, channel, marker && (() => connection.sendUnlabelled(marker)));
}
