import { posix } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { IMAGE_SIGNATURE_BYTES, imageTypeOf } from "../../core/files/image-type.js";
import type { FileSpace } from "../../core/files/file-space.js";
import type { JailedPath } from "../../core/files/jail.js";
import type { Account } from "../../core/accounts/ports.js";
import type { HttpContext } from "../context.js";
import { accessTokenFromCookie } from "../access-cookie.js";
import { accountOf, accountOfToken, authenticator, bearerToken, isBearerScheme } from "../authenticate.js";
import { fileProblem, resolveOrThrow } from "../file-problems.js";
import { sendFile } from "../file-reply.js";
import { ProblemError } from "../problems.js";
import { SHARE_HEADERS } from "../security-headers.js";
import { commonErrors } from "../schemas.js";
import { pathBody, shareSchema, type PathBody, type ShareView } from "../file-schemas.js";

/** The path of a share's link: `/f/<id>/<name>`, the name URL-encoded (it is there for people and for saving). */
export function shareUrl(id: string, path: string): string {
  return `/f/${id}/${encodeURIComponent(posix.basename(path))}`;
}

/** Makes a share of a file of `account`'s space (which must be a file). */
export async function createShare(context: HttpContext, account: Account, space: FileSpace, path: JailedPath): Promise<ShareView> {
  const found = await space.stat(path);
  if (!found.ok) throw fileProblem(found.reason);
  if (found.entry.type === "dir") throw fileProblem("is-a-directory");
  if (found.entry.type !== "file") throw fileProblem("not-found");
  const share = await context.shares.create(account, path.virtual);
  return { id: share.id, url: shareUrl(share.id, path.virtual) };
}

/** The first bytes of a file, to tell an image by its signature. */
async function headOf(space: FileSpace, path: JailedPath): Promise<Buffer> {
  const opened = await space.openRead(path, 0, IMAGE_SIGNATURE_BYTES);
  if (!opened.ok) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The reader of a share: `Authorization: Bearer`, or the `cmy_access` cookie — which
 * only this route accepts. An Authorization header of another scheme is no credential
 * here: a browser sends Basic by itself for a link with `user:password@` in it, along
 * with the cookie. No valid credentials is 401 before the share is looked up, so the
 * answer says nothing about the id.
 */
async function shareReader(context: HttpContext, request: FastifyRequest): Promise<Account> {
  const header = request.headers.authorization;
  const bearer = header !== undefined && isBearerScheme(header);
  const token = bearer ? bearerToken(header) : accessTokenFromCookie(request.headers.cookie);
  if (!bearer && token === null) throw new ProblemError("unauthenticated", "Log in to open shared files (Authorization: Bearer, or the cmy_access cookie)", { "www-authenticate": 'Bearer realm="cmymessage"' });
  const account = token === null ? null : await accountOfToken(context, token);
  if (!account) throw new ProblemError("invalid-token", "The access token is invalid or expired; refresh it or log in again", { "www-authenticate": 'Bearer realm="cmymessage", error="invalid_token"' });
  return account;
}

const NO_SUCH_SHARE = "No such shared file";

export function shareRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post<{ Body: PathBody; Reply: ShareView }>(
    "/api/v1/shares",
    {
      onRequest: authenticator(context),
      schema: {
        summary: "Share a file as a link",
        description:
          "The link (`/f/<id>/<name>`, id = 128 random bits) opens for its owner. When the owner posts a message containing it to a conversation, from any door (IRC, the web client), whoever may read that conversation may open it too; anyone else gets 404. The file is read at its path at each access: moved or deleted, the link is dead.",
        tags: ["files"],
        security: [{ bearer: [] }],
        body: pathBody,
        response: { 201: { description: "The share", ...shareSchema }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const share = await context.files.with(account.name, async (space) => createShare(context, account, space, await resolveOrThrow(space, request.body.path, request.log, account.name)));
      return reply.code(201).send(share);
    },
  );

  app.get<{ Params: { id: string; "*": string } }>(
    "/f/:id/*",
    {
      schema: {
        summary: "Open a shared file",
        description:
          "For its owner and the readers of the conversations its link was posted to; 404 for anyone else, exactly as for an unknown id. Authenticated by `Authorization: Bearer` or the HttpOnly `cmy_access` cookie (set by login/refresh/register with `\"cookie\": true`; accepted on this route only); an `Authorization` header of another scheme (Basic) is ignored here. PNG, JPEG, GIF and WebP (by extension and signature) are served inline with their type; anything else as an `application/octet-stream` attachment. Always `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox; default-src 'none'`. The name in the URL is informational.",
        tags: ["files"],
        security: [{ bearer: [] }],
        params: { type: "object", required: ["id"], properties: { id: { type: "string" }, "*": { type: "string" } } },
        response: { 200: { description: "The file's bytes", type: "string", format: "binary" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const reader = await shareReader(context, request);
      const share = await context.shares.openFor(request.params.id, reader.name);
      if (!share) throw new ProblemError("not-found", NO_SUCH_SHARE);
      return context.files.with(share.owner, async (space) => {
        const resolved = await space.resolve("/", share.path);
        // Whatever happened to the file since (moved, deleted, a folder now): the link is dead, and says no more.
        if (!resolved.ok) throw new ProblemError("not-found", NO_SUCH_SHARE);
        const found = await space.stat(resolved.path);
        if (!found.ok || found.entry.type !== "file") throw new ProblemError("not-found", NO_SUCH_SHARE);
        const image = imageTypeOf(share.path, await headOf(space, resolved.path));
        return sendFile(request, reply, space, resolved.path, {
          type: image ?? "application/octet-stream",
          disposition: image ? "inline" : "attachment",
          headers: SHARE_HEADERS,
        });
      });
    },
  );
}
