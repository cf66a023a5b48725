import { STATUS_CODES, type ServerResponse } from "node:http";
import { PROBLEM_CONTENT_TYPE, type Problem } from "./problems.js";
import { RAW_SECURITY_HEADER_LINES } from "./security-headers.js";

/** The header lines of a problem answered outside the app; the connection closes after it. */
function problemHeaderLines(body: string, extraHeaders: readonly string[]): string[] {
  return [
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...RAW_SECURITY_HEADER_LINES,
    ...extraHeaders,
    "Connection: close",
  ];
}

/**
 * A complete HTTP/1.1 answer written straight to a socket, for what is refused
 * outside the app: before any request is parsed, or an upgrade request (which
 * never reaches the app).
 */
export function rawProblem(problem: Problem, extraHeaders: readonly string[] = []): string {
  const body = JSON.stringify(problem);
  return [`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? "Error"}`, ...problemHeaderLines(body, extraHeaders), "", body].join("\r\n");
}

/**
 * The same answer through the response of a request Node parsed but the app must not
 * see (http-service.ts): Node still frames it (no body for HEAD) and closes after it.
 */
export function sendRawProblem(response: ServerResponse, problem: Problem, extraHeaders: readonly string[] = []): void {
  const body = JSON.stringify(problem);
  // writeHead takes a flat [name, value, name, value, …] list.
  const headers = problemHeaderLines(body, extraHeaders).flatMap((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  response.writeHead(problem.status, headers);
  response.end(body);
}
