import type { ChatFailureReason } from "../core/chat/results.js";
import type { IrcConnection } from "./connection.js";
import { ERR } from "./numerics.js";

/** The one table that turns a chat-core refusal into its IRC numeric and text. */
type NumericReason = Exclude<ChatFailureReason, "unavailable" | "message-too-long">;

const replies: Record<NumericReason, readonly [string, string]> = {
  "erroneous-nick": [ERR.ERRONEUSNICKNAME, "Erroneous nickname"],
  "nick-in-use": [ERR.NICKNAMEINUSE, "Nickname is already in use"],
  "no-such-nick": [ERR.NOSUCHNICK, "No such nick/channel"],
  "no-such-channel": [ERR.NOSUCHCHANNEL, "No such channel"],
  "bad-channel-name": [ERR.BADCHANMASK, "Bad Channel Mask"],
  "too-many-channels": [ERR.TOOMANYCHANNELS, "You have joined too many channels"],
  "invite-only": [ERR.INVITEONLYCHAN, "Cannot join channel (+i)"],
  banned: [ERR.BANNEDFROMCHAN, "Cannot join channel (+b)"],
  "bad-key": [ERR.BADCHANNELKEY, "Cannot join channel (+k)"],
  "channel-full": [ERR.CHANNELISFULL, "Cannot join channel (+l)"],
  "not-on-channel": [ERR.NOTONCHANNEL, "You're not on that channel"],
  "user-not-on-channel": [ERR.USERNOTINCHANNEL, "They aren't on that channel"],
  "user-on-channel": [ERR.USERONCHANNEL, "is already on channel"],
  "chanop-needed": [ERR.CHANOPRIVSNEEDED, "You're not channel operator"],
  "cannot-send": [ERR.CANNOTSENDTOCHAN, "Cannot send to channel"],
  "list-full": [ERR.BANLISTFULL, "Channel list is full"],
};

/** Replies with the numeric for `reason`; `subjects` are the parameters before the text (nick, channel…). */
export function replyFailure(connection: IrcConnection, reason: NumericReason, ...subjects: string[]): void {
  const [code, text] = replies[reason];
  connection.numeric(code, ...subjects, text);
}
