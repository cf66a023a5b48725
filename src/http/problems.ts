import { STATUS_CODES } from "node:http";
import { secondsText } from "../core/accounts/login-guard.js";

/** RFC 9457 problem details: the body of every error this API sends. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * Every reason the API refuses something, with its status and title, in one table:
 * handlers name a reason, this file decides the wire form. The `type` URI is
 * `urn:cmymessage:problem:<reason>`, stable for clients to match on.
 */
const REASONS = {
  "invalid-request": [400, "The request is not valid"],
  "invalid-name": [400, "Not a valid account name"],
  "too-short": [400, "The password is too short"],
  "too-long": [400, "The password is too long"],
  "too-common": [400, "The password is too common"],
  "invalid-channel": [400, "Not a valid channel name"],
  "invalid-reference": [400, "`before` is neither a message id nor an ISO 8601 time"],
  "invalid-query": [400, "The search query is not valid"],
  "invalid-cursor": [400, "`before` is not a cursor from an earlier page"],
  "unauthenticated": [401, "Authentication required"],
  "invalid-token": [401, "The token is invalid or expired"],
  "invalid-credentials": [401, "Wrong account name or password"],
  "wrong-password": [403, "The current password is wrong"],
  "origin-not-allowed": [403, "Pages of this origin may not open a WebSocket here"],
  "not-found": [404, "Not found"],
  "no-such-channel": [404, "No such channel"],
  "history-disabled": [404, "Message history is turned off on this server"],
  "method-not-allowed": [405, "Method not allowed"],
  "name-taken": [409, "That account name is taken"],
  "name-retired": [409, "That account name belonged to a deleted account and cannot be registered again"],
  "file-busy": [409, "The file is being written by another upload"],
  "payload-too-large": [413, "The request body is too large"],
  "uri-too-long": [414, "A part of the path is too long"],
  "unsupported-media-type": [415, "Send the body as application/json"],
  "throttled": [429, "Too many failed attempts; wait before trying again"],
  "registration-limit": [429, "Too many accounts created from this address; wait before trying again"],
  "registration-closed": [403, "Creating accounts is turned off on this server"],
  "invalid-path": [400, "Not a valid path"],
  "upload-interrupted": [400, "The upload did not arrive whole"],
  "forbidden": [403, "Not allowed"],
  "file-exists": [409, "Something already exists at that path"],
  "is-a-folder": [409, "The path is a folder"],
  "not-a-folder": [409, "A part of the path is not a folder"],
  "folder-not-empty": [409, "The folder is not empty"],
  "quota-exceeded": [413, "Storage quota exceeded"],
  "file-too-large": [413, "The file is larger than this server accepts"],
  "range-not-satisfiable": [416, "The range is outside the file"],
  "websocket-version": [426, "This version of WebSocket is not spoken here"],
  "internal": [500, "Internal server error"],
  "unavailable": [503, "The service is unavailable; try again shortly"],
  "not-ready": [503, "This node is not ready to serve"],
  "search-timeout": [503, "The search took too long"],
  "insufficient-storage": [507, "The server has no room left for the file"],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemReason = keyof typeof REASONS;

export function problemType(reason: ProblemReason): string {
  return `urn:cmymessage:problem:${reason}`;
}

/** A refusal thrown by a handler; the error handler turns it into problem+json. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";

  constructor(
    readonly reason: ProblemReason,
    readonly detail: string,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }

  get status(): number {
    return REASONS[this.reason][0];
  }

  toProblem(): Problem {
    const [status, title] = REASONS[this.reason];
    return { type: problemType(this.reason), title, status, detail: this.detail };
  }
}

/** A problem for a status that has no reason of its own (what the framework refuses). */
export function genericProblem(status: number, detail: string): Problem {
  return { type: "about:blank", title: STATUS_CODES[status] ?? "Error", status, detail };
}

/** The reason for a status the framework produces, when one fits. */
export function reasonForStatus(status: number): ProblemReason | null {
  switch (status) {
    case 400:
      return "invalid-request";
    case 404:
      return "not-found";
    case 405:
      return "method-not-allowed";
    case 413:
      return "payload-too-large";
    case 414:
      return "uri-too-long";
    case 415:
      return "unsupported-media-type";
    case 503:
      return "unavailable";
    default:
      return null;
  }
}

/** The brute-force guard said wait: 429 with Retry-After, the same for every door and reason. */
export function throttled(retryAfterSeconds: number): ProblemError {
  return new ProblemError("throttled", `Try again in ${secondsText(retryAfterSeconds)}`, { "retry-after": String(retryAfterSeconds) });
}
