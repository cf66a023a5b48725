/** IRC words the mutator inserts: commands, capabilities, tags, numerics, separators. */
export const IRC_TOKENS: readonly string[] = [
  ..."PRIVMSG NOTICE TAGMSG JOIN PART KICK MODE TOPIC NICK USER PASS QUIT PING PONG CAP LS REQ ACK END AUTHENTICATE PLAIN SCRAM-SHA-256 OAUTHBEARER EXTERNAL BATCH CHATHISTORY LATEST BEFORE AFTER AROUND BETWEEN TARGETS MARKREAD MONITOR WHO WHOIS WHOWAS LIST NAMES INVITE AWAY SETNAME OPER KILL WALLOPS REHASH REGISTER VERIFY REDACT WEBPUSH ISON USERHOST STATS HELP MOTD LUSERS VERSION TIME NickServ ChanServ IDENTIFY DROP"
    .split(" "),
  ...["draft/multiline", "draft/chathistory", "message-tags", "server-time", "labeled-response", "batch", "echo-message", "sasl", "account-tag", "extended-join", "draft/read-marker", "multi-prefix", "away-notify"],
  ...["@label=", "@+draft/reply=", "@batch=", "@time=", "@msgid=", "+draft/multiline-concat", "msgid=", "timestamp=", "*", "#general", "#c", "&", "+", "-", "o", "b", "k", "l", "v", "i", "t", "n", "m", "s", "+b *!*@*", "\\s", "\\:", "\\\\"],
  ...["001", "433", "903", "417", "\r\n", ":", " :", "\u00e9", "\u{1F600}", "\xc3", "\x01ACTION "],
];
