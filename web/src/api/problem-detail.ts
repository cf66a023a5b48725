/**
 * Reading the server's refusals. Every API error is application/problem+json (RFC 9457) whose `detail`
 * is a sentence meant for the user, so views show that sentence instead of a bare status code.
 */

/** A request the server refused (or that never reached it), with the sentence to show. */
export class RequestFailed extends Error {
  override readonly name = "RequestFailed";

  constructor(
    /** The HTTP status, or 0 when the network failed before any reply. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface ProblemShape {
  readonly type?: unknown;
  readonly detail?: unknown;
  readonly title?: unknown;
}

/** What a view uses of a problem+json body: its sentence and its type URI, each when present. */
export interface ProblemFields {
  readonly sentence?: string;
  readonly type?: string;
}

/** Reads a problem+json body given as text; empty fields when the body is not one. */
export function readProblem(body: string): ProblemFields {
  try {
    const problem = JSON.parse(body) as ProblemShape | null;
    if (!problem) return {};
    const type = typeof problem.type === "string" ? problem.type : undefined;
    if (typeof problem.detail === "string" && problem.detail !== "") return { sentence: problem.detail, type };
    if (typeof problem.title === "string" && problem.title !== "") return { sentence: problem.title, type };
    return { type };
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status line is all we can say.
    return {};
  }
}

/** The sentence of a problem+json body given as text; `fallback` when the body is not one. */
export function problemSentence(body: string, fallback: string): string {
  return readProblem(body).sentence ?? fallback;
}

/** Resolves with the response when it is 2xx; otherwise throws RequestFailed with the server's sentence. */
export async function expectOk(response: Response): Promise<Response> {
  if (response.ok) return response;
  const body = await response.text().catch(() => "");
  throw new RequestFailed(response.status, problemSentence(body, `The server answered ${response.status} ${response.statusText}`.trim()));
}

/** What to show for anything a request threw: the server's sentence, or a network failure. */
export function failureMessage(error: unknown): string {
  if (error instanceof RequestFailed) return error.message;
  if (error instanceof TypeError) return "The server could not be reached; check the connection and try again.";
  return error instanceof Error ? error.message : String(error);
}
