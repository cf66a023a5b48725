import type { FastifyInstance } from "fastify";

export function healthRoutes(app: FastifyInstance): void {
  app.get<{ Reply: { status: "ok" } }>(
    "/healthz",
    {
      schema: {
        summary: "Liveness: the process answers HTTP",
        tags: ["operations"],
        response: { 200: { description: "Alive", type: "object", required: ["status"], properties: { status: { type: "string", enum: ["ok"] } } } },
      },
    },
    async () => ({ status: "ok" }),
  );
}
