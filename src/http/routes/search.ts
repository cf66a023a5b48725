import type { FastifyInstance } from "fastify";
import type { SearchResult } from "../../core/chat/search.js";
import type { HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { historyDisabled } from "../history-page.js";
import { ProblemError } from "../problems.js";
import { decodeCursor, encodeCursor } from "../search-cursor.js";
import { commonErrors, searchQuery, type SearchPageView, type SearchQueryString, type SearchResultView } from "../schemas.js";

function searchResultView(result: SearchResult): SearchResultView {
  const { message } = result;
  return {
    msgid: message.msgid,
    time: new Date(message.time).toISOString(),
    kind: message.kind,
    from: message.senderNick,
    account: message.senderAccount,
    text: message.text,
    conversation: result.conversation,
  };
}

export function searchRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Querystring: SearchQueryString; Reply: SearchPageView }>(
    "/api/v1/search",
    {
      onRequest: authenticator(context),
      schema: {
        summary: "Search the messages the caller may read",
        description:
          "Messages holding every word of `q` (case-insensitive; on SQLite accents too), newest first, from the channels the caller's account may read now (the history rule: channels it is in, channels it could join freely, registered channels it founded) and its own direct conversations. The last word also finds words it starts (3 characters or more). Punctuation separates words; `q` is never a query language. With history turned off: 404 history-disabled.",
        tags: ["search"],
        security: [{ bearer: [] }],
        querystring: searchQuery,
        response: { 200: { description: "One page of results", $ref: "SearchPage#" }, ...commonErrors },
      },
    },
    async (request) => {
      if (!context.search) throw historyDisabled();
      const before = decodeCursor(request.query.before);
      const outcome = await context.search.search(accountOf(request).name, request.query.q, before, request.query.limit);
      if (!outcome.ok) {
        const limits = context.search.limits();
        if (outcome.reason === "timeout") {
          throw new ProblemError("search-timeout", `The search ran longer than ${limits.timeoutSeconds} s and was stopped; add words, or search for rarer ones`);
        }
        const detail =
          outcome.reason === "empty-query"
            ? "Give q= the words to search for"
            : outcome.reason === "query-too-long"
              ? `q= may hold at most ${limits.maxQueryChars} characters`
              : `q= may hold at most ${limits.maxWords} words`;
        throw new ProblemError("invalid-query", detail);
      }
      const { results, next } = outcome.page;
      return { results: results.map(searchResultView), next: next === null ? null : encodeCursor(next) };
    },
  );
}
