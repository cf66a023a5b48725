import type { InjectOptions } from "fastify";
import type { HttpInject } from "../../src/http/start.js";
import { invariant, type FuzzTarget } from "../engine/target.js";
import { startFuzzServer, type FuzzServer } from "./fuzz-server.js";

/** What the fuzzer can ask for: the API's request bodies and query strings. */
interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** `{}` is where the input's path segment goes (the text before the first '?'). */
  readonly path: string;
  /** Sent with the fuzz account's access token. */
  readonly authenticated: boolean;
  /** The input is the body; otherwise it is the query string. */
  readonly body: boolean;
}

const ROUTES: readonly Route[] = [
  { method: "POST", path: "/api/v1/accounts", authenticated: false, body: true },
  { method: "POST", path: "/api/v1/auth/login", authenticated: false, body: true },
  { method: "POST", path: "/api/v1/auth/refresh", authenticated: false, body: true },
  { method: "POST", path: "/api/v1/auth/logout", authenticated: false, body: true },
  { method: "PUT", path: "/api/v1/me/password", authenticated: true, body: true },
  { method: "POST", path: "/api/v1/files/folders", authenticated: true, body: true },
  { method: "POST", path: "/api/v1/files/move", authenticated: true, body: true },
  { method: "POST", path: "/api/v1/shares", authenticated: true, body: true },
  { method: "GET", path: "/api/v1/channels/{}/messages", authenticated: true, body: false },
  { method: "GET", path: "/api/v1/dms/{}/messages", authenticated: true, body: false },
  { method: "GET", path: "/api/v1/search", authenticated: true, body: false },
  { method: "GET", path: "/api/v1/files", authenticated: true, body: false },
  { method: "DELETE", path: "/api/v1/files", authenticated: true, body: false },
  { method: "GET", path: "/api/v1/channels", authenticated: true, body: false },
];

/** The Content-Type sent with a body, chosen by the input's second byte; null sends none. */
const CONTENT_TYPES: readonly (string | null)[] = ["application/json", "application/json; charset=utf-8", "text/plain", null, "application/x-www-form-urlencoded", "application/JSON", "application/json; charset=latin1"];

const ACCOUNT = { name: "fuzzowner", password: "fuzz-owner-password-1" };

let fuzzServer: FuzzServer | null = null;
let inject: HttpInject | null = null;
let accessToken = "";

/** Bytes a URL may not hold are percent-encoded; '%', '&', '=', '?' stay, so odd escapes reach the parser. */
function urlText(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes) out += byte > 0x20 && byte < 0x7f && byte !== 0x23 ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, "0").toUpperCase()}`;
  return out;
}

function requestFor(input: Buffer): InjectOptions {
  const route = ROUTES[(input[0] ?? 0) % ROUTES.length]!;
  const contentType = CONTENT_TYPES[(input[1] ?? 0) % CONTENT_TYPES.length]!;
  const rest = input.subarray(2);
  const headers: Record<string, string> = {};
  if (route.authenticated && accessToken !== "") headers["authorization"] = `Bearer ${accessToken}`;
  if (route.body) {
    if (contentType !== null) headers["content-type"] = contentType;
    return { method: route.method, url: route.path, headers, payload: rest };
  }
  const text = urlText(rest);
  const mark = text.indexOf("?");
  const segment = route.path.includes("{}") ? (mark === -1 ? text : text.slice(0, mark)) || "%23general" : "";
  const query = route.path.includes("{}") ? (mark === -1 ? "" : text.slice(mark + 1)) : text;
  return { method: route.method, url: `${route.path.replace("{}", segment)}${query === "" ? "" : `?${query}`}`, headers };
}

/**
 * The HTTP API's request validation, through the real app (Fastify's inject, the same
 * routes, schemas and error handler as on a socket): whatever the body or query, the
 * answer is a 2xx or a 4xx problem+json whose status is the reply's, never a 5xx, and
 * the server logs no error.
 */
export async function runHttpJson(input: Buffer): Promise<void> {
  const request = requestFor(input);
  const reply = await inject!(request);
  const where = `${request.method} ${String(request.url)}`;
  // A 5xx is logged with its stack: show that first.
  if (reply.statusCode >= 500) fuzzServer!.checkLog();
  invariant(reply.statusCode < 500, `${where} answered ${reply.statusCode}: ${reply.body.slice(0, 500)}`);
  if (reply.statusCode >= 400) {
    invariant(String(reply.headers["content-type"]).startsWith("application/problem+json"), `${where} answered ${reply.statusCode} as ${String(reply.headers["content-type"])}, not problem+json`);
    const problem = JSON.parse(reply.body) as { status?: unknown; type?: unknown; title?: unknown };
    invariant(problem.status === reply.statusCode && typeof problem.type === "string" && typeof problem.title === "string", `${where}: the problem ${reply.body.slice(0, 300)} does not match status ${reply.statusCode}`);
  }
  fuzzServer!.checkLog();
}

export const httpJson: FuzzTarget = {
  name: "http-json",
  description: "HTTP API bodies and query strings through the real app: 2xx or 4xx problem+json, never 5xx",
  dictionary: [
    ...["name", "password", "email", "cookie", "refreshToken", "currentPassword", "newPassword", "path", "from", "to", "recursive", "before", "limit", "q"].map((key) => `"${key}":`),
    ...["{", "}", "[", "]", ",", "\"", "\\u0000", "\\ud800", "\\\\", "true", "false", "null", "1e999", "-0", "0.5", "\"__proto__\":", "\"constructor\":", "{\"$ref\":\"#\"}", "/", "../", "%00", "%ff", "%", "&", "=", "?", "#general", "2024-01-01T00:00:00Z", ACCOUNT.name],
  ],
  maxLength: 4096,
  async setup() {
    fuzzServer = await startFuzzServer({ http: true });
    inject = fuzzServer.server.httpInject;
    invariant(inject !== null, "the fuzz server has no HTTP app");
    const created = await inject({ method: "POST", url: "/api/v1/accounts", payload: ACCOUNT });
    invariant(created.statusCode === 201, `could not create the fuzz account: ${created.statusCode} ${created.body}`);
    accessToken = (JSON.parse(created.body) as { tokens: { accessToken: string } }).tokens.accessToken;
  },
  run: runHttpJson,
  async teardown() {
    await fuzzServer?.stop();
    fuzzServer = null;
    inject = null;
  },
};
