import { randomBytes } from "node:crypto";
import { extname } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Account } from "../../core/accounts/ports.js";
import type { FileSpace } from "../../core/files/file-space.js";
import type { JailedPath } from "../../core/files/jail.js";
import { extensionForType } from "../../core/files/image-type.js";
import { SERVICE, type HttpContext } from "../context.js";
import { accountOfToken, bearerToken } from "../authenticate.js";
import { clientAddress } from "../client-address.js";
import { couldBeAccountName } from "../../core/accounts/possible-names.js";
import { fileProblem } from "../file-problems.js";
import { ProblemError, throttled } from "../problems.js";
import { UPLOAD_PATH } from "../public-url.js";
import { commonErrors } from "../schemas.js";
import { acceptAnyBodyUnread, finishStreaming, startStreaming } from "../streamed-body.js";
import { receiveFile } from "./files.js";
import { createShare } from "./shares.js";

/** Where FILEHOST uploads go in the uploader's space: one folder per day (UTC). */
const UPLOADS = "/uploads";
/** Longest stored name, in UTF-8 bytes (file systems allow 255; room is left for a suffix). */
const MAX_NAME_BYTES = 200;
/**
 * Bearer only, though Basic is accepted: IRC clients send Basic unasked, while a Basic
 * challenge would make a browser prompt and then replay the typed password on any
 * cross-site form POST here (an upload into that account).
 */
const CHALLENGE = 'Bearer realm="cmymessage"';

/** The file name a `Content-Disposition` header gives (`filename*` first, RFC 6266), or null. */
export function dispositionFilename(header: string | undefined): string | null {
  if (header === undefined) return null;
  const extended = /filename\*\s*=\s*([^;]+)/i.exec(header);
  if (extended) {
    const value = /^UTF-8'[^']*'(.+)$/i.exec(extended[1]!.trim());
    if (value) {
      try {
        return decodeURIComponent(value[1]!);
      } catch {
        // Malformed percent-encoding: fall back to the plain parameter.
      }
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  if (!plain) return null;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : plain[2]!;
}

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, max: number): string {
  let out = "";
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > max) break;
    out += char;
  }
  return out;
}

/**
 * A name safe to store: its last path part only, no control characters, no leading
 * dots (no hidden files, nothing that looks like an upload in progress), at most
 * MAX_NAME_BYTES with its extension kept; "upload" (plus an extension from the type)
 * when nothing is left.
 */
export function safeUploadName(given: string | null, contentType: string | undefined): string {
  const last = (given ?? "").split(/[/\\]/).pop() ?? "";
  const cleaned = last
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .replace(/^\.+/, "");
  if (cleaned === "") return `upload${extensionForType(contentType ?? "")}`;
  if (Buffer.byteLength(cleaned) <= MAX_NAME_BYTES) return cleaned;
  const extension = truncateUtf8(extname(cleaned), 20);
  return truncateUtf8(cleaned.slice(0, cleaned.length - extname(cleaned).length), MAX_NAME_BYTES - Buffer.byteLength(extension)) + extension;
}

/** The uploader: `Authorization: Bearer <access token>`, or `Basic` account:password through the brute-force guard. */
async function uploader(context: HttpContext, request: FastifyRequest): Promise<Account> {
  const header = request.headers.authorization;
  if (header === undefined) throw new ProblemError("unauthenticated", "Uploads are for accounts: send Authorization: Bearer <token> or Basic <account:password>", { "www-authenticate": CHALLENGE });
  const basic = /^Basic ([A-Za-z0-9+/=]{1,2048})$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const name = colon === -1 ? "" : decoded.slice(0, colon);
    // A name that cannot be an account costs no work and reveals nothing (as for the login route).
    if (colon === -1 || !couldBeAccountName(name)) {
      context.accounts.recordRefusal(clientAddress(request), SERVICE, "not a possible account name");
      throw new ProblemError("invalid-credentials", "Wrong account name or password", { "www-authenticate": CHALLENGE });
    }
    const result = await context.accounts.login(name, decoded.slice(colon + 1), clientAddress(request), SERVICE);
    if (!result.ok) throw result.reason === "throttled" ? throttled(result.retryAfterSeconds ?? 1) : new ProblemError("invalid-credentials", "Wrong account name or password", { "www-authenticate": CHALLENGE });
    return result.account;
  }
  const token = bearerToken(header);
  const account = token === null ? null : await accountOfToken(context, token);
  if (!account) throw new ProblemError("invalid-token", "The access token is invalid or expired", { "www-authenticate": CHALLENGE });
  return account;
}

/**
 * Claims a free path for `name` in `folder` — the name itself, or with a random suffix
 * when it is taken — by creating it empty (exclusively: two uploads of one name at once,
 * on any nodes, get two files). The upload then replaces the empty file.
 */
async function claimPath(space: FileSpace, folder: string, name: string): Promise<JailedPath> {
  const extension = extname(name);
  const stem = name.slice(0, name.length - extension.length);
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = attempt === 0 ? name : `${stem}-${randomBytes(3).toString("hex")}${extension}`;
    const resolved = await space.resolve(folder, candidate);
    if (!resolved.ok) throw fileProblem(resolved.reason);
    const claimed = await space.createEmpty(resolved.path);
    if (claimed.ok) return resolved.path;
    if (claimed.reason !== "exists") throw fileProblem(claimed.reason);
  }
  throw fileProblem("exists");
}

async function ensureFolder(space: FileSpace, virtual: string): Promise<void> {
  const resolved = await space.resolve("/", virtual);
  if (!resolved.ok) throw fileProblem(resolved.reason);
  const made = await space.makeDirectory(resolved.path);
  if (!made.ok && made.reason !== "exists") throw fileProblem(made.reason);
}

/**
 * FILEHOST (the soju.im/FILEHOST convention, advertised to IRC clients as
 * `draft/FILEHOST` and `soju.im/FILEHOST`): an IRC client POSTs a file with its
 * user's credentials and gets back its link. The file lands in the uploader's space
 * under /uploads/<yyyy-mm-dd>/, counted in the same quota as FTP, and the link is a
 * share of it: it opens for the uploader, and for a conversation once the uploader
 * posts it there.
 */
export function uploadRoutes(app: FastifyInstance, context: HttpContext): void {
  void app.register(async (scope) => {
    acceptAnyBodyUnread(scope);

    scope.options(
      UPLOAD_PATH,
      { schema: { summary: "What the upload endpoint accepts", tags: ["files"], response: { 204: { description: "Allow and Accept-Post headers", type: "null" } } } },
      async (_request, reply) => reply.code(204).headers({ allow: "OPTIONS, POST", "accept-post": "*/*" }).send(),
    );

    scope.post(
      UPLOAD_PATH,
      {
        onRequest: startStreaming,
        onResponse: finishStreaming,
        schema: {
          summary: "Upload a file and get its link (FILEHOST, for IRC clients)",
          description:
            "The raw body is the file (streamed to disk). `Content-Disposition: attachment; filename=\"x.png\"` names it (path parts are dropped); `Content-Type` gives an extension when there is no name. Stored as /uploads/<yyyy-mm-dd>/<name> (a suffix when the name is taken), in the same quota as FTP (413 over it, nothing stored). Auth: `Bearer <access token>` or `Basic <account:password>` (the brute-force guard applies). 201 with `Location:` the absolute link of a new share of the file.",
          tags: ["files"],
          security: [{ bearer: [] }],
          response: { 201: { description: "Stored; `Location` is the file's link", type: "null" }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const account = await uploader(context, request);
        const name = safeUploadName(dispositionFilename(request.headers["content-disposition"]), request.headers["content-type"]);
        const day = new Date().toISOString().slice(0, 10);
        const share = await context.files.with(account.name, async (space) => {
          await ensureFolder(space, UPLOADS);
          await ensureFolder(space, `${UPLOADS}/${day}`);
          const path = await claimPath(space, `${UPLOADS}/${day}`, name);
          try {
            await receiveFile(space, path, request);
          } catch (error) {
            // Refused or cut off: the claimed empty file goes too, nothing is left.
            await space.delete(path);
            throw error;
          }
          return createShare(context, account, space, path);
        });
        return reply.code(201).header("location", `${context.publicUrl()}${share.url}`).send();
      },
    );
  });
}
