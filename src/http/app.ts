import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import type { HttpConfig } from "../config/schema.js";
import { VERSION } from "../version.js";
import type { HttpContext } from "./context.js";
import { fastifyProxyTrust } from "./client-address.js";
import { PROBLEM_CONTENT_TYPE, ProblemError, genericProblem, reasonForStatus, type Problem } from "./problems.js";
import { sharedSchemas } from "./schemas.js";
import { addSecurityHeaders, applySecurityHeaders } from "./security-headers.js";
import { refuseNonFiniteNumbers } from "./finite-numbers.js";
import { answerUnroutedRequests } from "./unrouted.js";
import { accountRoutes } from "./routes/accounts.js";
import { authRoutes } from "./routes/auth.js";
import { meRoutes } from "./routes/me.js";
import { channelRoutes } from "./routes/channels.js";
import { dmRoutes } from "./routes/dms.js";
import { searchRoutes } from "./routes/search.js";
import { healthRoutes } from "./routes/health.js";
import { readinessRoutes } from "./routes/readiness.js";
import { metricsRoutes } from "./routes/metrics.js";
import { openapiRoutes } from "./routes/openapi.js";
import { fileRoutes } from "./routes/files.js";
import { shareRoutes } from "./routes/shares.js";
import { uploadRoutes } from "./routes/upload.js";
import { DEFAULT_WEB_ROOT, staticClientRoutes } from "./static-client.js";

export type HttpAppSettings = Pick<HttpConfig, "bodyLimitBytes" | "trustProxy" | "webRoot">;

/** Turns anything thrown on the way to a reply into a problem, and says what to log. */
function toProblem(error: FastifyError | ProblemError | Error): { problem: Problem; headers: Readonly<Record<string, string>>; unexpected: boolean } {
  if (error instanceof ProblemError) return { problem: error.toProblem(), headers: error.headers, unexpected: false };
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const reason = reasonForStatus(status);
    // The framework's own messages (validation, body size, bad JSON) are safe to show and useful.
    const detail = error.message;
    return { problem: reason ? new ProblemError(reason, detail).toProblem() : genericProblem(status, detail), headers: {}, unexpected: false };
  }
  return { problem: new ProblemError("internal", "Something went wrong on our side; it has been logged").toProblem(), headers: {}, unexpected: true };
}

/**
 * The longest path segment a parameter may take (Fastify's default, said here because
 * the 414 names it); a longer one is refused by the router before any route runs.
 */
const MAX_PARAM_LENGTH = 100;

/**
 * What the router refuses before any route runs, said without the path: Fastify's
 * messages quote it, and an over-long one would come back whole.
 */
function routerRefusal(error: FastifyError): FastifyError | ProblemError {
  switch (error.code) {
    case "FST_ERR_BAD_URL":
      return new ProblemError("invalid-request", "The path is not valid: a % not followed by two hex digits, or escapes that are not UTF-8");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new ProblemError("uri-too-long", `A segment of the path is longer than ${MAX_PARAM_LENGTH} characters`);
    default:
      return error;
  }
}

/**
 * An empty body sent as application/json is no body: clients that label every request
 * JSON (a DELETE, a logout without a token) would otherwise get 400 "Body cannot be
 * empty". Routes that need a body still refuse its absence through their schema.
 * Anything else goes to Fastify's own parser, which keeps its prototype-poisoning checks.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser<string>("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") {
      done(null, undefined);
      return;
    }
    // Fastify's own parser answers through `done`; its type also allows the promise form.
    const parsed = parseJson(request, body, done);
    if (parsed instanceof Promise) parsed.then((value: unknown) => done(null, value), (error: Error) => done(error, undefined));
  });
}

/**
 * The HTTP API as a Fastify app, not yet bound anywhere: the HTTP service serves it
 * on its own listeners (shared connection limits, unmapped addresses).
 */
export async function buildHttpApp(context: HttpContext, settings: HttpAppSettings): Promise<FastifyInstance> {
  const sendProblem = (error: FastifyError | ProblemError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { problem, headers, unexpected } = toProblem(error);
    if (unexpected) request.log.error({ err: error, url: request.url, method: request.method }, "request failed");
    reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE);
    // Here too, not only in the onSend hook: what the router refuses is sent without the app's hooks.
    applySecurityHeaders(request, reply);
    return reply.send(problem);
  };

  const app = Fastify({
    // Typed as Fastify's logger interface so the app is a plain FastifyInstance for the route modules.
    loggerInstance: context.log as FastifyBaseLogger,
    // Per-request lines at info would drown the log; onResponse logs them at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimitBytes,
    trustProxy: fastifyProxyTrust(settings.trustProxy),
    // A client-chosen request id would let callers forge log correlation.
    requestIdHeader: false,
    return503OnClosing: true,
    // Scalars in the query string still become numbers, but no array is taken for a
    // scalar or the reverse (Fastify's default would read {"name":["x"]} as "x").
    ajv: { customOptions: { coerceTypes: true } },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router refuses before any route runs (a malformed or over-long path) is a problem too.
    frameworkErrors: (error, request, reply) => {
      // The reply is sent here; nothing waits for what sendProblem returns.
      sendProblem(routerRefusal(error), request, reply);
    },
  });

  app.decorate("trustedProxyHops", settings.trustProxy);
  app.decorateRequest("account", null);
  for (const schema of sharedSchemas) app.addSchema(schema);
  // Request bodies are JSON (uploads take any type in their own scope): a text/plain body
  // is 415 unsupported-media-type, as documented, not a string that fails validation as 400.
  app.removeContentTypeParser("text/plain");
  acceptEmptyJsonBodies(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "CmyMessage HTTP API", version: VERSION, description: "Accounts, tokens and message history. Errors are application/problem+json (RFC 9457)." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    },
    // Shared schemas keep their $id as their component name, so clients see "Message", not "def-3".
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json["$id"] === "string" ? json["$id"] : `def-${i}`) },
  });

  app.setErrorHandler(sendProblem);

  answerUnroutedRequests(app);

  addSecurityHeaders(app);
  refuseNonFiniteNumbers(app);

  app.addHook("onResponse", async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "http request");
  });

  healthRoutes(app);
  readinessRoutes(app, context.readiness);
  if (context.metrics) metricsRoutes(app, context.metrics);
  openapiRoutes(app);
  accountRoutes(app, context);
  authRoutes(app, context);
  meRoutes(app, context);
  channelRoutes(app, context);
  dmRoutes(app, context);
  searchRoutes(app, context);
  fileRoutes(app, context);
  shareRoutes(app, context);
  uploadRoutes(app, context);
  // Last: every path the API already has stays the API's.
  await staticClientRoutes(app, settings.webRoot || DEFAULT_WEB_ROOT, context.log);
  return app;
}
