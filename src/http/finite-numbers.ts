import type { FastifyInstance, FastifyRequest } from "fastify";
import { ProblemError } from "./problems.js";

/** How deep a body is searched; the API's bodies are flat objects. */
const MAX_DEPTH = 8;

/** The first value in `value` that is a number but not a finite one, with its path; null when none. */
function nonFinite(value: unknown, path: string, depth: number): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : path;
  if (typeof value !== "object" || value === null || depth >= MAX_DEPTH) return null;
  // Only parsed data (JSON, or a query string, whose parser makes objects of a class with a null
  // prototype): never a stream an upload route reads itself.
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null && Object.getPrototypeOf(prototype) !== null) return null;
  for (const [key, child] of Object.entries(value)) {
    const found = nonFinite(child, `${path}/${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Query strings and parameters are coerced to numbers by the validator, and Ajv coerces
 * "1e999" to Infinity and then skips the integer, minimum and maximum checks for it
 * (they only test finite numbers): `limit=1e999` reached SQL as LIMIT Infinity (500,
 * found by fuzzing). After validation, before any handler, a number that is not finite
 * is refused as the validator would have refused it.
 */
export function refuseNonFiniteNumbers(app: FastifyInstance): void {
  app.addHook("preHandler", async (request: FastifyRequest) => {
    const found = nonFinite(request.query, "querystring", 0) ?? nonFinite(request.params, "params", 0) ?? nonFinite(request.body, "body", 0);
    if (found !== null) throw new ProblemError("invalid-request", `${found} must be a finite number`);
  });
}
