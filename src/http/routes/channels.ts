import type { FastifyInstance } from "fastify";
import { historyAccess } from "../../core/chat/history-access.js";
import { channelIsPublic } from "../../core/chat/visibility.js";
import { foldCase, isValidChannelName } from "../../core/chat/names.js";
import type { HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { directory, historyDisabled, historyPage, parseBefore } from "../history-page.js";
import { ProblemError } from "../problems.js";
import { commonErrors, historyQuery, type HistoryQueryString, type MessagePage } from "../schemas.js";

interface ChannelSummary {
  name: string;
  topic: string | null;
  members: number;
}

const channelSummary = {
  type: "object",
  required: ["name", "topic", "members"],
  properties: { name: { type: "string" }, topic: { type: ["string", "null"] }, members: { type: "integer" } },
} as const;

export function channelRoutes(app: FastifyInstance, context: HttpContext): void {
  const authenticate = authenticator(context);

  app.get<{ Reply: { channels: ChannelSummary[] } }>(
    "/api/v1/channels",
    {
      schema: {
        summary: "Live channels on this node",
        description: "Name, topic and member count of every channel that exists now, except secret (+s) ones.",
        tags: ["channels"],
        response: {
          200: { description: "The channels, by name", type: "object", required: ["channels"], properties: { channels: { type: "array", items: channelSummary } } },
          ...commonErrors,
        },
      },
    },
    async () => {
      const channels: ChannelSummary[] = [];
      for (const channel of context.core.channels()) {
        if (!channelIsPublic(channel)) continue;
        channels.push({ name: channel.name, topic: channel.topic?.text ?? null, members: channel.memberCount });
      }
      channels.sort((a, b) => (foldCase(a.name) < foldCase(b.name) ? -1 : 1));
      return { channels };
    },
  );

  app.get<{ Params: { name: string }; Querystring: HistoryQueryString; Reply: MessagePage }>(
    "/api/v1/channels/:name/messages",
    {
      onRequest: authenticate,
      schema: {
        summary: "A page of a channel's history",
        description:
          "Messages oldest first, the newest `limit` before `before`. Readable by an account in the channel now; by any account when the channel (live, or registered and empty) is neither secret, invite-only nor keyed and does not ban it; and always by a registered channel's founder. Any other channel answers 404, like one that does not exist. Write the name URL-encoded (%23general); the leading # may be left out.",
        tags: ["channels"],
        security: [{ bearer: [] }],
        params: { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 1, maxLength: 100 } } },
        querystring: historyQuery,
        response: { 200: { description: "One page of messages", $ref: "MessagePage#" }, ...commonErrors },
      },
    },
    async (request) => {
      const raw = request.params.name;
      const name = raw.startsWith("#") ? raw : `#${raw}`;
      if (!isValidChannelName(name, context.core.limits.channelLength)) throw new ProblemError("invalid-channel", "Channel names start with # and hold no spaces, commas, colons or control characters");
      if (!context.history) throw historyDisabled();
      // Before the lookup: a bad before= is the same 400 for every channel, not a 404 for those that do not exist.
      parseBefore(request.query.before);
      // The rule every door shares; a channel the caller may not read answers exactly like one that does not exist.
      const access = await historyAccess(context.core, directory(context), { account: accountOf(request).name, user: null }, name);
      if (!access.ok) throw new ProblemError("no-such-channel", `There is no channel ${name} you can read`);
      return historyPage(context.history, access.key, request.query);
    },
  );
}
