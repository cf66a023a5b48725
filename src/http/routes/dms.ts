import type { FastifyInstance } from "fastify";
import { historyAccess } from "../../core/chat/history-access.js";
import type { HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { directory, historyDisabled, historyPage } from "../history-page.js";
import { ProblemError } from "../problems.js";
import { commonErrors, historyQuery, type HistoryQueryString, type MessagePage } from "../schemas.js";

export function dmRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Params: { account: string }; Querystring: HistoryQueryString; Reply: MessagePage }>(
    "/api/v1/dms/:account/messages",
    {
      onRequest: authenticator(context),
      schema: {
        summary: "A page of the direct conversation with another account",
        description:
          "Messages between the caller's account and `account`, both directions, oldest first. `account` may also be the nick of a user online now (their account) or of a guest (what that guest and the caller said to each other). A name with no conversation (or no such account) gives an empty page: this route says nothing about which accounts exist.",
        tags: ["direct messages"],
        security: [{ bearer: [] }],
        params: { type: "object", required: ["account"], properties: { account: { type: "string", minLength: 1, maxLength: 100 } } },
        querystring: historyQuery,
        response: { 200: { description: "One page of messages", $ref: "MessagePage#" }, ...commonErrors },
      },
    },
    async (request) => {
      const other = request.params.account;
      if (!context.accounts.isValidName(other)) throw new ProblemError("invalid-name", "Not a valid account name");
      if (!context.history) throw historyDisabled();
      // The rule every door shares: the caller's own conversation with `other`.
      const access = await historyAccess(context.core, directory(context), { account: accountOf(request).name, user: null }, other);
      if (!access.ok) throw new ProblemError("invalid-name", "Not a valid account name");
      return historyPage(context.history, access.key, request.query);
    },
  );
}
