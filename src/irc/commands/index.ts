import type { Command } from "../command.js";
import { cap } from "./cap.js";
import { nick } from "./nick.js";
import { user } from "./user.js";
import { pass } from "./pass.js";
import { ping, pong } from "./ping.js";
import { quit } from "./quit.js";
import { join } from "./join.js";
import { part } from "./part.js";
import { privmsg, notice, tagmsg } from "./message.js";
import { topic } from "./topic.js";
import { names } from "./names.js";
import { list } from "./list.js";
import { kick } from "./kick.js";
import { invite } from "./invite.js";
import { away } from "./away.js";
import { mode } from "./mode.js";
import { who } from "./who.js";
import { whois } from "./whois.js";
import { whowas } from "./whowas.js";
import { ison } from "./ison.js";
import { userhost } from "./userhost.js";
import { lusers, motd, version, time, admin, info } from "./server-info.js";
import { setname } from "./setname.js";
import { oper } from "./oper.js";
import { kill } from "./kill.js";
import { rehash } from "./rehash.js";
import { help, helpop } from "./help.js";
import { stats, links } from "./stats.js";
import { authenticate } from "./authenticate.js";
import { register, verify } from "./register.js";
import { chathistory } from "./chathistory.js";
import { wallops } from "./wallops.js";
import { markread } from "./markread.js";
import { monitor } from "./monitor.js";
import { webpush } from "./webpush.js";
import { batch } from "./batch.js";
import { redact } from "./redact.js";

const all: readonly Command[] = [
  cap, nick, user, pass, ping, pong, quit, authenticate, register, verify,
  join, part, privmsg, notice, tagmsg, batch, redact, topic, names, list, kick, invite, away, mode,
  chathistory, markread, monitor, who, whois, whowas, ison, userhost, lusers, motd, version, time, admin, info, setname,
  stats, links, oper, kill, rehash, wallops, help, helpop,
  webpush,
];

/** Every IRC command by name: adding one means adding a file and a line here. */
export const commandTable: ReadonlyMap<string, Command> = new Map(all.map((command) => [command.name, command]));
