import type { AppliedModeChange } from "./events.js";
import type { Channel, ListMode } from "./channel.js";
import type { ChatUser } from "./user.js";
import { normalizeMask } from "./mask.js";

/** A change as asked for; the applied change has the same shape with resolved values (nick case, full mask). */
export type ModeRequest = AppliedModeChange;

export type ModeError =
  | { readonly reason: "no-such-nick"; readonly nick: string }
  | { readonly reason: "user-not-on-channel"; readonly nick: string }
  | { readonly reason: "list-full"; readonly mode: ListMode; readonly mask: string };

export interface ModeContext {
  readonly maxListEntries: number;
  readonly now: number;
  findUser(nick: string): ChatUser | undefined;
}

/**
 * Applies requested changes in order, skipping those that change nothing, and
 * reports per-change errors. The caller has already checked the actor's rights.
 */
export function applyModeRequests(
  channel: Channel,
  actor: ChatUser,
  requests: readonly ModeRequest[],
  context: ModeContext,
): { applied: AppliedModeChange[]; errors: ModeError[] } {
  const applied: AppliedModeChange[] = [];
  const errors: ModeError[] = [];
  for (const request of requests) {
    switch (request.kind) {
      case "flag":
        if (channel.flags.has(request.mode) === request.on) break;
        if (request.on) channel.flags.add(request.mode);
        else channel.flags.delete(request.mode);
        applied.push(request);
        break;
      case "key":
        if (request.on) {
          if (channel.key === request.key || request.key === "") break;
          channel.key = request.key;
          applied.push(request);
        } else if (channel.key !== null) {
          applied.push({ kind: "key", on: false, key: channel.key });
          channel.key = null;
        }
        break;
      case "limit":
        if (request.on) {
          if (channel.limit === request.limit || request.limit <= 0) break;
          channel.limit = request.limit;
          applied.push(request);
        } else if (channel.limit !== null) {
          channel.limit = null;
          applied.push({ kind: "limit", on: false, limit: 0 });
        }
        break;
      case "member": {
        const target = context.findUser(request.nick);
        if (!target) {
          errors.push({ reason: "no-such-nick", nick: request.nick });
          break;
        }
        const membership = channel.members.get(target);
        if (!membership) {
          errors.push({ reason: "user-not-on-channel", nick: target.nick });
          break;
        }
        if (membership[request.mode] === request.on) break;
        membership[request.mode] = request.on;
        applied.push({ kind: "member", mode: request.mode, on: request.on, nick: target.nick });
        break;
      }
      case "list": {
        const list = channel.lists[request.mode];
        const mask = normalizeMask(request.mask);
        const index = list.findIndex((entry) => entry.mask.toLowerCase() === mask.toLowerCase());
        if (request.on) {
          if (index !== -1) break;
          if (list.length >= context.maxListEntries) {
            errors.push({ reason: "list-full", mode: request.mode, mask });
            break;
          }
          list.push({ mask, setBy: actor.nick, setAt: context.now });
          applied.push({ kind: "list", mode: request.mode, on: true, mask });
        } else {
          if (index === -1) break;
          const [removed] = list.splice(index, 1);
          applied.push({ kind: "list", mode: request.mode, on: false, mask: removed!.mask });
        }
        break;
      }
    }
  }
  return { applied, errors };
}
