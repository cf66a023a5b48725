import type { FastifyInstance } from "fastify";
import { directKey } from "../../core/chat/history.js";
import { partyKey } from "../../core/chat/messaging.js";
import type { HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { historyPage } from "../history-page.js";
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
          "Messages between the caller's account and `account`, both directions, oldest first. An account with no conversation (or none at all) gives an empty page: this route says nothing about which accounts exist.",
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
      const me = accountOf(request);
      // The key the chat core stores both directions under (account names folded).
      return historyPage(context.history, directKey(partyKey(me.name, me.name), partyKey(other, other)), request.query);
    },
  );
}
