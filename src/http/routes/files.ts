import { posix } from "node:path";
import type { FastifyInstance } from "fastify";
import { isTemporaryUpload, type FileEntry, type FileSpace } from "../../core/files/file-space.js";
import type { JailedPath } from "../../core/files/jail.js";
import type { HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { fileProblem, refuseFileAtFolderPath, resolveOrThrow } from "../file-problems.js";
import { ProblemError } from "../problems.js";
import { sendFile } from "../file-reply.js";
import { acceptAnyBodyUnread, declaredLength, detachedBody, finishStreaming, startStreaming } from "../streamed-body.js";
import { commonErrors } from "../schemas.js";
import {
  deleteQuery,
  fileListSchema,
  moveBody,
  pathBody,
  pathQuery,
  pathReplySchema,
  requiredPathQuery,
  storedFileSchema,
  type DeleteQuery,
  type FileEntryView,
  type FileListView,
  type MoveBody,
  type PathBody,
  type PathQuery,
  type StoredFileView,
} from "../file-schemas.js";

const bearer = [{ bearer: [] }];
const TAGS = ["files"];

/** Names the API can show and address: not an upload in progress, nothing the jail would refuse. */
function listable(entry: FileEntry): entry is FileEntry & { type: "file" | "dir" } {
  return entry.type !== "other" && !isTemporaryUpload(entry.name) && !/[\u0000-\u001f\u007f]/.test(entry.name);
}

export function entryView(entry: FileEntry & { type: "file" | "dir" }): FileEntryView {
  return { name: entry.name, type: entry.type, size: entry.type === "dir" ? 0 : entry.size, modified: entry.modified.toISOString() };
}

async function storedFile(space: FileSpace, path: JailedPath): Promise<StoredFileView> {
  const found = await space.stat(path);
  if (!found.ok) throw fileProblem(found.reason);
  const entry = found.entry;
  return { path: path.virtual, name: posix.basename(path.virtual), type: "file", size: entry.size, modified: entry.modified.toISOString() };
}

async function isFolder(space: FileSpace, path: JailedPath): Promise<boolean> {
  const found = await space.stat(path);
  return found.ok && found.entry.type === "dir";
}

/**
 * A move onto its own path: 409 like any existing `to` (the rule is "nothing is replaced";
 * FTP's RNFR/RNTO to the same name succeeds instead, as vsftpd's does), 404 when nothing is there.
 */
async function refuseMoveInPlace(space: FileSpace, from: JailedPath, to: JailedPath): Promise<void> {
  if (from.virtual !== to.virtual) return;
  const found = await space.stat(from);
  throw fileProblem(found.ok ? "exists" : found.reason);
}

/**
 * Streams the request body into `path`: quotas and the file size limit are checked
 * against the declared length first, then enforced while the bytes arrive; a body
 * that is refused or cut off leaves nothing (the bytes go to a temporary file that
 * replaces the target only when complete). Returns whether a file was replaced.
 */
export async function receiveFile(space: FileSpace, path: JailedPath, request: Parameters<typeof declaredLength>[0]): Promise<{ replaced: boolean }> {
  const expectedBytes = declaredLength(request);
  const check = await space.checkUpload(path, expectedBytes);
  if (!check.ok) throw fileProblem(check.reason);
  const replaced = (await space.stat(path)).ok;
  const result = await space.upload(path, detachedBody(request.raw), { atomic: true, ...(expectedBytes !== undefined && { expectedBytes }) });
  if (!result.ok) throw fileProblem(result.reason);
  return { replaced };
}

/** The account's file space over HTTP: the same space and quotas as FTP. */
export function fileRoutes(app: FastifyInstance, context: HttpContext): void {
  const authenticate = authenticator(context);

  app.get<{ Querystring: PathQuery; Reply: FileListView }>(
    "/api/v1/files",
    {
      onRequest: authenticate,
      schema: {
        summary: "A folder's entries and the account's usage",
        description: "Files and folders, sorted by name; links and uploads in progress are not shown. `usage` counts every file of the account against `files.quotaBytes`.",
        tags: TAGS,
        security: bearer,
        querystring: pathQuery,
        response: { 200: { description: "The folder", ...fileListSchema }, ...commonErrors },
      },
    },
    async (request) => {
      const account = accountOf(request);
      return context.files.with(account.name, async (space) => {
        const path = await resolveOrThrow(space, request.query.path, request.log, account.name);
        const listed = await space.list(path);
        if (!listed.ok) throw fileProblem(listed.reason);
        return {
          path: path.virtual,
          entries: listed.entries.filter(listable).map(entryView),
          usage: { usedBytes: (await space.usage()).bytes, quotaBytes: space.quotaBytes > 0 ? space.quotaBytes : null },
        };
      });
    },
  );

  app.get<{ Querystring: PathQuery }>(
    "/api/v1/files/content",
    {
      onRequest: authenticate,
      schema: {
        summary: "Download a file",
        description: "The bytes, as an attachment (`application/octet-stream`, RFC 6266 `filename*`). One `Range: bytes=` range is honoured (206); under `If-Range`, only with the strong `ETag` or the `Last-Modified` sent (both given once the file is a second old), else the whole file (200).",
        tags: TAGS,
        security: bearer,
        querystring: requiredPathQuery,
        response: { 200: { description: "The file's bytes", type: "string", format: "binary" }, 206: { description: "The range asked for", type: "string", format: "binary" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      return context.files.with(account.name, async (space) => {
        const path = await resolveOrThrow(space, request.query.path, request.log, account.name);
        return sendFile(request, reply, space, path, { type: "application/octet-stream", disposition: "attachment", headers: { "cache-control": "private, no-cache" } });
      });
    },
  );

  // The upload reads its body itself, as a stream: in its own context, without body parsers.
  void app.register(async (scope) => {
    acceptAnyBodyUnread(scope);
    scope.put<{ Querystring: PathQuery; Reply: StoredFileView }>(
      "/api/v1/files/content",
      {
        onRequest: [startStreaming, authenticate],
        onResponse: finishStreaming,
        schema: {
          summary: "Upload a file (the raw body, any Content-Type)",
          description:
            "Streamed to disk. 201 for a new file, 200 when it replaced one. Over the quota or `files.maxFileBytes` (by Content-Length, or while the bytes arrive): 413 and nothing is stored. A body cut off leaves nothing; a replaced file stays whole until the new one is complete.",
          tags: TAGS,
          security: bearer,
          querystring: requiredPathQuery,
          response: { 200: { description: "Replaced", ...storedFileSchema }, 201: { description: "Created", ...storedFileSchema }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const account = accountOf(request);
        return context.files.with(account.name, async (space) => {
          const path = await resolveOrThrow(space, request.query.path, request.log, account.name);
          await refuseFileAtFolderPath(space, request.query.path, path);
          const { replaced } = await receiveFile(space, path, request);
          return reply.code(replaced ? 200 : 201).send(await storedFile(space, path));
        });
      },
    );
  });

  app.post<{ Body: MoveBody; Reply: { path: string } }>(
    "/api/v1/files/move",
    {
      onRequest: authenticate,
      schema: {
        summary: "Move or rename a file or folder",
        description: "`to` is the new path (its folder must exist). Nothing is replaced: an existing `to` is 409, `from` itself included. The root cannot be moved.",
        tags: TAGS,
        security: bearer,
        body: moveBody,
        response: { 200: { description: "Moved; the new path", ...pathReplySchema }, ...commonErrors },
      },
    },
    async (request) => {
      const account = accountOf(request);
      return context.files.with(account.name, async (space) => {
        const from = await resolveOrThrow(space, request.body.from, request.log, account.name);
        const to = await resolveOrThrow(space, request.body.to, request.log, account.name);
        if (from.virtual === "/") throw new ProblemError("invalid-path", "The root folder cannot be moved");
        await refuseMoveInPlace(space, from, to);
        if (!(await isFolder(space, from))) await refuseFileAtFolderPath(space, request.body.to, to);
        const moved = await space.rename(from, to, { noReplace: true });
        if (!moved.ok) throw fileProblem(moved.reason);
        return { path: to.virtual };
      });
    },
  );

  app.delete<{ Querystring: DeleteQuery }>(
    "/api/v1/files",
    {
      onRequest: authenticate,
      schema: {
        summary: "Delete a file, or a folder",
        description: "A folder must be empty unless `recursive=true`. The root cannot be deleted.",
        tags: TAGS,
        security: bearer,
        querystring: deleteQuery,
        response: { 204: { description: "Deleted", type: "null" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      return context.files.with(account.name, async (space) => {
        const path = await resolveOrThrow(space, request.query.path, request.log, account.name);
        const found = await space.stat(path);
        if (!found.ok) throw fileProblem(found.reason);
        const folder = found.entry.type === "dir";
        const deleted = folder ? await (request.query.recursive ? space.removeTree(path) : space.removeDirectory(path)) : await space.delete(path);
        if (!deleted.ok) throw fileProblem(deleted.reason);
        return reply.code(204).send();
      });
    },
  );

  app.post<{ Body: PathBody; Reply: { path: string } }>(
    "/api/v1/files/folders",
    {
      onRequest: authenticate,
      schema: {
        summary: "Make a folder",
        description: "Its parent must exist; an existing name is 409.",
        tags: TAGS,
        security: bearer,
        body: pathBody,
        response: { 201: { description: "Made; its path", ...pathReplySchema }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      return context.files.with(account.name, async (space) => {
        const path = await resolveOrThrow(space, request.body.path, request.log, account.name);
        const made = await space.makeDirectory(path);
        if (!made.ok) throw fileProblem(made.reason);
        return reply.code(201).send({ path: path.virtual });
      });
    },
  );
}
