import { z } from "zod";
import type { WireMessage } from "./wire.js";

/**
 * The exact shape of what one node sends another (wire.ts), checked on arrival: a node of
 * another version, or a compromised one, can put anything inside a valid envelope, and the
 * replica and the sessions trust the types they are handed. Unknown keys are dropped.
 */

const text = z.string();
const time = z.number().finite();
const stamp = z.object({ time, msgid: text });
const origin = z.object({ id: text, nick: text, username: text, hostname: text, account: text.nullable(), bot: z.boolean().optional() });
const flagMode = z.enum(["no-external", "topic-lock", "moderated", "invite-only", "secret"]);
const listMode = z.enum(["ban", "exception", "invite-exception"]);
const listEntry = z.object({ mask: text, setBy: text, setAt: time });

const scope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("channel"), channel: text, rank: z.enum(["op", "voice"]).optional(), exceptUser: text.optional() }),
  z.object({ kind: z.literal("channels"), channels: z.array(text), user: text.optional(), watchedNick: text.optional() }),
  z.object({ kind: z.literal("watchers"), nick: text }),
  z.object({ kind: z.literal("users"), users: z.array(text) }),
  z.object({ kind: z.literal("account"), account: text }),
  z.object({ kind: z.literal("everyone") }),
]);

const stamped = { msgid: text, time };
const modeChange = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("flag"), mode: flagMode, on: z.boolean() }),
  z.object({ kind: z.literal("key"), on: z.boolean(), key: text }),
  z.object({ kind: z.literal("limit"), on: z.boolean(), limit: time }),
  z.object({ kind: z.literal("member"), mode: z.enum(["op", "voice"]), on: z.boolean(), nick: text }),
  z.object({ kind: z.literal("list"), mode: listMode, on: z.boolean(), mask: text }),
]);

const event = z.discriminatedUnion("type", [
  z.object({ type: z.literal("message"), kind: z.enum(["privmsg", "notice", "tagmsg"]), from: origin, target: text, text, tags: z.record(text, text).nullable(), ...stamped }),
  z.object({ type: z.literal("join"), from: origin, channel: text, realname: text, ...stamped }),
  z.object({ type: z.literal("part"), from: origin, channel: text, reason: text, ...stamped }),
  z.object({ type: z.literal("kick"), from: origin, channel: text, target: text, reason: text, ...stamped }),
  z.object({ type: z.literal("quit"), from: origin, reason: text, ...stamped }),
  z.object({ type: z.literal("nick"), from: origin, nick: text, ...stamped }),
  z.object({ type: z.literal("topic"), from: origin, channel: text, topic: text, ...stamped }),
  z.object({ type: z.literal("mode"), from: origin, channel: text, changes: z.array(modeChange), ...stamped }),
  z.object({ type: z.literal("invite"), from: origin, channel: text, target: text, ...stamped }),
  z.object({ type: z.literal("away"), from: origin, message: text.nullable(), ...stamped }),
  z.object({ type: z.literal("realname"), from: origin, realname: text, ...stamped }),
  z.object({ type: z.literal("account"), from: origin, account: text.nullable(), ...stamped }),
  z.object({ type: z.literal("wallops"), from: origin, text, ...stamped }),
  z.object({ type: z.literal("redact"), from: origin, target: text, redacted: text, reason: text.nullable(), ...stamped }),
  z.object({ type: z.literal("read-marker"), account: text, target: text, name: text, ...stamped }),
  z.object({ type: z.literal("presence"), nick: text, online: z.boolean(), origin: origin.nullable(), ...stamped }),
]);

const publication = z.object({ scope, event, fromSession: text.nullable(), skipOrigin: z.boolean() });

const userFields = z.object({
  away: text.nullable().optional(),
  account: text.nullable().optional(),
  realname: text.optional(),
  isOperator: z.boolean().optional(),
  invisible: z.boolean().optional(),
  wallops: z.boolean().optional(),
  bot: z.boolean().optional(),
  multiclient: z.boolean().optional(),
});

const userSnapshot = z.object({
  id: text,
  nick: text,
  username: text,
  realname: text,
  hostname: text,
  address: text,
  secure: z.boolean(),
  signedOnAt: time,
  account: text.nullable(),
  away: text.nullable(),
  isOperator: z.boolean(),
  invisible: z.boolean(),
  wallops: z.boolean(),
  bot: z.boolean(),
  multiclient: z.boolean(),
});

const channelState = z.object({
  name: text,
  createdAt: time,
  topic: z.object({ text, setBy: text, setAt: time }).nullable(),
  topicStamp: stamp,
  flags: z.array(flagMode),
  key: text.nullable(),
  limit: time.nullable(),
  lists: z.object({ ban: z.array(listEntry), exception: z.array(listEntry), "invite-exception": z.array(listEntry) }),
  modesStamp: stamp,
  ranks: z.array(z.tuple([text, z.boolean(), z.boolean(), stamp])),
  // Optional: a node of the previous version sends none (and drops it, an unknown key).
  rankStamps: z.array(z.tuple([text, stamp, stamp])).optional(),
});

const stateOp = z.discriminatedUnion("op", [
  z.object({ op: z.literal("user"), user: userSnapshot }),
  z.object({ op: z.literal("quit"), user: text, nick: text, reason: text }),
  z.object({ op: z.literal("nick"), user: text, nick: text, oldNick: text }),
  z.object({ op: z.literal("fields"), user: text, fields: userFields }),
  z.object({ op: z.literal("join"), user: text, channel: text, createdAt: time, chanop: z.boolean(), voice: z.boolean(), stamp, state: channelState.nullable() }),
  z.object({ op: z.literal("part"), user: text, channel: text }),
  z.object({ op: z.literal("kick"), by: text, user: text, channel: text, reason: text }),
  z.object({ op: z.literal("channel"), state: channelState, changes: z.array(modeChange).optional(), stamp: stamp.optional() }),
  z.object({ op: z.literal("invite"), channel: text, user: text }),
  z.object({ op: z.literal("attach"), user: text }),
  // Optional: a node of the previous version sends none.
  z.object({ op: z.literal("detach"), user: text, reason: text.optional() }),
]);

const nodeSnapshot = z.object({
  users: z.array(z.object({ user: userSnapshot, channels: z.array(z.tuple([text, time, z.boolean(), z.boolean()])) })),
  channels: z.array(channelState),
  attached: z.array(text).optional(),
});

const instance = text;
export const wireMessage: z.ZodType<WireMessage> = z.discriminatedUnion("k", [
  z.object({ o: instance, k: z.literal("p"), p: publication }),
  z.object({ o: instance, k: z.literal("s"), s: stateOp }),
  z.object({ o: instance, k: z.literal("hello"), name: text, snapshot: nodeSnapshot }),
  z.object({ o: instance, k: z.literal("snap"), name: text, snapshot: nodeSnapshot }),
  z.object({ o: instance, k: z.literal("bye") }),
]);
