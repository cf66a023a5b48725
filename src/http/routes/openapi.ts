import type { FastifyInstance } from "fastify";

export function openapiRoutes(app: FastifyInstance): void {
  app.get(
    "/api/v1/openapi.json",
    {
      schema: {
        summary: "This API's OpenAPI 3 document",
        tags: ["operations"],
        response: { 200: { description: "OpenAPI document", type: "object", additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
}
