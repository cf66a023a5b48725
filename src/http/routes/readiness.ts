import type { FastifyInstance } from "fastify";
import { PROBLEM_CONTENT_TYPE, ProblemError } from "../problems.js";
import type { Readiness, ReadinessReport } from "../readiness.js";

interface ReadyBody {
  status: "ready";
  node: string;
  checks: Record<string, string>;
}

/** The problem body of a 503: the usual four fields, plus which node and what each check said. */
interface NotReadyBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  node: string;
  checks: Record<string, string>;
}

const checksSchema = {
  type: "object",
  description: 'Each check of this node ("database", and "redis" in a cluster): "ok", or why it failed',
  additionalProperties: { type: "string" },
} as const;

/** What a 503 says in `detail`: the server is stopping, or each failed check with its reason. */
function notReadyDetail(report: ReadinessReport): string {
  if (report.stopping) return "stopping: this node is shutting down";
  return report.failures.map(({ name, reason }) => `${name}: ${reason}`).join("; ");
}

export function readinessRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get<{ Reply: ReadyBody | NotReadyBody }>(
    "/readyz",
    {
      schema: {
        summary: "Readiness: this node can serve (for load balancers)",
        description:
          "200 when every check passes (the database answers, and in a cluster Redis too); 503 problem+json naming the failed checks when one fails or takes longer than 2 s, and while the server is shutting down, so a load balancer sends new clients elsewhere.",
        tags: ["operations"],
        response: {
          200: {
            description: "Ready",
            type: "object",
            required: ["status", "node", "checks"],
            properties: { status: { type: "string", enum: ["ready"] }, node: { type: "string", description: "cluster.nodeName, or the host name" }, checks: checksSchema },
          },
          503: {
            description: "Not ready (problem details with the node and each check's outcome)",
            content: {
              [PROBLEM_CONTENT_TYPE]: {
                schema: {
                  type: "object",
                  required: ["type", "title", "status", "detail", "node", "checks"],
                  properties: {
                    type: { type: "string", enum: ["urn:cmymessage:problem:not-ready"] },
                    title: { type: "string" },
                    status: { type: "integer", enum: [503] },
                    detail: { type: "string", description: 'The failed checks with their reasons ("database: no answer within 2000 ms"), or "stopping: …"' },
                    node: { type: "string" },
                    checks: checksSchema,
                  },
                },
              },
            },
          },
        },
      },
    },
    async (_request, reply) => {
      const report = await readiness.check();
      // A probe's answer is about now: no cache between the load balancer and the node may keep it.
      reply.header("cache-control", "no-store");
      if (report.ready) return { status: "ready", node: report.node, checks: { ...report.checks } };
      const problem = new ProblemError("not-ready", notReadyDetail(report)).toProblem();
      return reply
        .code(503)
        .type(PROBLEM_CONTENT_TYPE)
        .send({ ...problem, node: report.node, checks: { ...report.checks } });
    },
  );
}
