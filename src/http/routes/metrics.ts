import type { FastifyInstance } from "fastify";

/** What /metrics serves: Prometheus text, rendered at scrape time (src/metrics/server-metrics.ts). */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** `GET /metrics` on the web door, when metrics are on and have no listener of their own. */
export function metricsRoutes(app: FastifyInstance, metrics: MetricsExposition): void {
  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics (text exposition format)",
        tags: ["operations"],
        response: { 200: { description: "Metrics in the Prometheus text format", type: "string" } },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  );
}
