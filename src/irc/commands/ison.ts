import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";
import { sendWordLists } from "../word-lists.js";
import { serviceByName } from "../services/service-bot.js";

export const ison: RegisteredCommand = {
  name: "ISON",
  minParams: 1,
  when: "registered",
  help: "ISON <nick> [<nick>…] — which of these nicks are online",
  run(connection, _user, params) {
    const core = connection.context.core;
    // Every nick named is answered (TARGMAX ISON: has no limit; irssi packs its whole notify
    // list into one line): the 512-byte line bounds the work. Each user once, however often
    // (in whatever case) it is named.
    // The services are always on (a client may ask before it identifies), named as they are.
    const online = new Set(
      params
        .flatMap((p) => p.split(" "))
        .filter((nick) => nick !== "")
        .map((nick) => serviceByName(nick) ?? core.findUser(nick)?.nick)
        .filter((nick) => nick !== undefined),
    );
    if (online.size === 0) return connection.numeric(RPL.ISON, "");
    // The nicks as they are may take more room than the line that named them (a long server
    // name and nick before them): then 303 goes over several lines, none past 512 bytes.
    sendWordLists(connection, RPL.ISON, [], [...online]);
  },
};
