import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { PROBLEM_CONTENT_TYPE, ProblemError } from "./problems.js";
import { loadStaticFiles, notModified, pickEncoding, type StaticFile } from "./static-files.js";

/** Where `npm run build` puts the browser client: dist/web of the package (from src/http or dist/http alike). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));

/**
 * The page may load only what this server serves: no inline script or style, no
 * eval, no third party. Browsers enforce it; the client is built to live with it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** Vite names what is under assets/ after a hash of its content: it never changes under the same URL. */
function cacheControl(url: string): string {
  return url.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
}

function serve(file: StaticFile, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.headers(SECURITY_HEADERS).header("cache-control", cacheControl(file.url));
  if (file.encoded.size > 0) reply.header("vary", "Accept-Encoding");
  const { body, encoding, etag } = pickEncoding(file, request.headers["accept-encoding"]);
  reply.header("etag", etag);
  if (notModified(file, request.headers["if-none-match"])) return reply.code(304).send();
  reply.type(file.contentType);
  if (encoding) reply.header("content-encoding", encoding);
  reply.header("content-length", body.length);
  // HEAD: the same headers, no body (Fastify strips it; Content-Length stays the GET's).
  return reply.send(body);
}

/**
 * What `/` says when `root` holds no client. `npm run build` makes dist/web only: for an
 * http.webRoot of the operator's, the fix is to put the client there, not to build.
 */
function missingClientText(root: string): string {
  if (resolve(root) === resolve(DEFAULT_WEB_ROOT)) return `The web client is not built: run \`npm run build\` (it makes ${root}), then restart the server`;
  return `The web client is not in ${root} (http.webRoot): there is no index.html there; put the built client in ${root}, then restart the server`;
}

/**
 * Serves the built browser client at `/`: each file of `root`, loaded into memory at
 * start, at exactly its own URL (`/` is index.html). Routes registered earlier (the
 * API, health, OpenAPI) keep their paths; any other URL is the app's 404 problem.
 * Without a build, `/` says how to make one.
 */
export async function staticClientRoutes(app: FastifyInstance, root: string, log: Logger): Promise<void> {
  const files = await loadStaticFiles(root, log);
  // A folder without index.html (an empty dist/web, a webRoot naming the wrong
  // folder) is no client either: `/` must say so rather than answer "No route".
  if (!files || !files.has("/index.html")) {
    const missing = missingClientText(root);
    log.warn({ root }, missing);
    app.get("/", { schema: { hide: true } }, async (_request, reply) => {
      const problem = new ProblemError("not-found", missing).toProblem();
      return reply.code(404).headers(SECURITY_HEADERS).type(PROBLEM_CONTENT_TYPE).send(problem);
    });
    return;
  }
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  let served = 0;
  for (const [url, file] of files) {
    if (app.hasRoute({ method: "GET", url })) {
      log.warn({ url }, "web client file not served: the path belongs to the API");
      continue;
    }
    app.get(url, { schema: { hide: true } }, async (request, reply) => serve(file, request, reply));
    served++;
  }
  log.info({ root, files: served }, "web client loaded");
}
