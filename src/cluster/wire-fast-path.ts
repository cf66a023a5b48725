import type { WireMessage } from "./wire.js";

/**
 * The one message every node receives most: a PRIVMSG/NOTICE/TAGMSG publication for a
 * channel or some users. Checked by hand against exactly the shape wire-schema.ts gives it
 * (no other keys, every type), without building a copy: under fan-out every node checks
 * every message, and the general schema's copy per message showed in the profile.
 * Anything else, or anything this check refuses, goes to the general schema.
 */
export function isMessagePublication(value: unknown): value is WireMessage {
  if (!isRecord(value) || value.k !== "p" || typeof value.o !== "string" || !onlyKeys(value, ENVELOPE)) return false;
  const p = value.p;
  if (!isRecord(p) || !onlyKeys(p, PUBLICATION) || typeof p.skipOrigin !== "boolean" || !stringOrNull(p.fromSession)) return false;
  return isScope(p.scope) && isMessageEvent(p.event);
}

const ENVELOPE = new Set(["o", "k", "p"]);
const PUBLICATION = new Set(["scope", "event", "fromSession", "skipOrigin"]);
const CHANNEL_SCOPE = new Set(["kind", "channel", "rank", "exceptUser"]);
const USERS_SCOPE = new Set(["kind", "users"]);
const MESSAGE = new Set(["type", "kind", "from", "target", "text", "tags", "msgid", "time"]);
const ORIGIN = new Set(["id", "nick", "username", "hostname", "account", "bot"]);
const KINDS = new Set(["privmsg", "notice", "tagmsg"]);

function isScope(scope: unknown): boolean {
  if (!isRecord(scope)) return false;
  if (scope.kind === "channel") {
    return (
      onlyKeys(scope, CHANNEL_SCOPE) &&
      typeof scope.channel === "string" &&
      (scope.rank === undefined || scope.rank === "op" || scope.rank === "voice") &&
      (scope.exceptUser === undefined || typeof scope.exceptUser === "string")
    );
  }
  if (scope.kind === "users") return onlyKeys(scope, USERS_SCOPE) && Array.isArray(scope.users) && scope.users.every((id) => typeof id === "string");
  return false;
}

function isMessageEvent(event: unknown): boolean {
  if (!isRecord(event) || event.type !== "message" || !onlyKeys(event, MESSAGE)) return false;
  if (!KINDS.has(event.kind as string) || typeof event.target !== "string" || typeof event.text !== "string") return false;
  if (typeof event.msgid !== "string" || typeof event.time !== "number" || !Number.isFinite(event.time)) return false;
  return isOrigin(event.from) && (event.tags === null || isTags(event.tags));
}

function isOrigin(origin: unknown): boolean {
  return (
    isRecord(origin) &&
    onlyKeys(origin, ORIGIN) &&
    typeof origin.id === "string" &&
    typeof origin.nick === "string" &&
    typeof origin.username === "string" &&
    typeof origin.hostname === "string" &&
    stringOrNull(origin.account) &&
    (origin.bot === undefined || typeof origin.bot === "boolean")
  );
}

function isTags(tags: unknown): boolean {
  if (!isRecord(tags)) return false;
  for (const key in tags) if (typeof tags[key] !== "string") return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyKeys(record: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in record) if (!allowed.has(key)) return false;
  return true;
}

function stringOrNull(value: unknown): boolean {
  return value === null || typeof value === "string";
}
