import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { PROBLEM_CONTENT_TYPE, ProblemError } from "./problems.js";
import { targetPath } from "./request-path.js";

/**
 * Answers what no route takes (RFC 9110 §15.5.5, §15.5.6): a path that some route
 * serves with other methods is 405 with `Allow` naming them, any other is 404. Call
 * before the routes are added: it learns the methods in use as they are.
 *
 * OPTIONS is a method like the others here: only a route of its own answers it (the
 * upload route does); elsewhere it is 405, as no CORS preflight is ever granted.
 */
export function answerUnroutedRequests(app: FastifyInstance): void {
  const methodsInUse = new Set<HTTPMethods>();
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) methodsInUse.add(method);
  });

  /** The methods some route serves `url` with, sorted; HEAD goes with GET, as Fastify answers it. */
  const allowedMethods = (url: string): string[] => {
    const allowed = new Set<string>();
    for (const method of methodsInUse) {
      // The router's own lookup of the concrete URL: parametric and wildcard routes match as they would.
      if (app.findRoute({ method, url }) !== null) allowed.add(method);
    }
    if (allowed.has("GET")) allowed.add("HEAD");
    return [...allowed].sort();
  };

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = targetPath(request.url);
    const allowed = allowedMethods(request.url);
    if (allowed.length === 0) {
      const problem = new ProblemError("not-found", `No route ${request.method} ${path}`).toProblem();
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem);
    }
    const allow = allowed.join(", ");
    const problem = new ProblemError("method-not-allowed", `${request.method} is not allowed on ${path}; allowed: ${allow}`).toProblem();
    return reply.code(405).header("allow", allow).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
}
