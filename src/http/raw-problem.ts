import { STATUS_CODES } from "node:http";
import { PROBLEM_CONTENT_TYPE, type Problem } from "./problems.js";
import { RAW_SECURITY_HEADER_LINES } from "./security-headers.js";

/**
 * A complete HTTP/1.1 answer written straight to a socket, for what is refused
 * outside the app: before any request is parsed, or an upgrade request (which
 * never reaches the app).
 */
export function rawProblem(problem: Problem, extraHeaders: readonly string[] = []): string {
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? "Error"}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...RAW_SECURITY_HEADER_LINES,
    ...extraHeaders,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}
