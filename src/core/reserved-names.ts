/**
 * Names nobody may take, as a nick or as an account name: those of IRC services.
 * One list for the chat core (nicks), the accounts domain (account names, by every
 * door: IRC REGISTER and NickServ, HTTP, the CLI) and the IRC services, so no user
 * can pose as a service — today's or one a network may add. It holds the service
 * names Ergo uses (NickServ, ChanServ, HostServ, HistServ), Anope's (MemoServ,
 * OperServ, BotServ, Global, StatServ) and Atheme's (SaslServ, InfoServ, HelpServ,
 * GameServ, ALIS), which users of any network recognise as services.
 */
import { foldCase } from "./chat/names.js";

export const RESERVED_NAMES = [
  "NickServ",
  "ChanServ",
  "HostServ",
  "HistServ",
  "MemoServ",
  "OperServ",
  "BotServ",
  "Global",
  "StatServ",
  "SaslServ",
  "InfoServ",
  "HelpServ",
  "GameServ",
  "ALIS",
] as const;

export type ReservedName = (typeof RESERVED_NAMES)[number];

const FOLDED: ReadonlySet<string> = new Set(RESERVED_NAMES.map(foldCase));

/** Whether `name` (any case, IRC case folding) is a reserved service name. */
export function isReservedName(name: string): boolean {
  return FOLDED.has(foldCase(name));
}
