/**
 * The server's HTTP API for accounts and sessions (docs/http-api.md). The shapes mirror
 * src/http/schemas.ts, which the browser cannot import (it pulls in Node modules).
 */

import { readProblem } from "./problem-detail.js";

export interface AccountView {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly createdAt: string;
}

export interface TokenPair {
  readonly tokenType: "Bearer";
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: string;
}

export interface SessionView {
  readonly account: AccountView;
  readonly tokens: TokenPair;
}

/** An error the API answered with (application/problem+json), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The problem's reason, e.g. "invalid-credentials", "name-taken"; "network" when unreachable. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  const problem = readProblem(await response.text().catch(() => ""));
  const reason = problem.type?.replace(/^urn:cmymessage:problem:/, "") ?? `http-${response.status}`;
  return new ApiError(response.status, reason, problem.sentence ?? `The server answered ${response.status}`);
}

async function call(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached");
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

function json(body: unknown, token?: string): RequestInit {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  return { headers, body: JSON.stringify(body) };
}

// `cookie: true` asks the server for the HttpOnly cookie that lets <img> load shared files.

export async function login(name: string, password: string): Promise<SessionView> {
  return (await call("/api/v1/auth/login", { method: "POST", ...json({ name, password, cookie: true }) })).json() as Promise<SessionView>;
}

export async function register(name: string, password: string, email?: string): Promise<SessionView> {
  const body = email ? { name, password, email, cookie: true } : { name, password, cookie: true };
  return (await call("/api/v1/accounts", { method: "POST", ...json(body) })).json() as Promise<SessionView>;
}

export async function refresh(refreshToken: string): Promise<SessionView> {
  return (await call("/api/v1/auth/refresh", { method: "POST", ...json({ refreshToken, cookie: true }) })).json() as Promise<SessionView>;
}

export async function logout(refreshToken: string): Promise<void> {
  await call("/api/v1/auth/logout", { method: "POST", ...json({ refreshToken }) });
}

export async function logoutEverywhere(accessToken: string): Promise<void> {
  await call("/api/v1/me/sessions", { method: "DELETE", headers: { authorization: `Bearer ${accessToken}` } });
}

export async function changePassword(accessToken: string, currentPassword: string, newPassword: string): Promise<SessionView> {
  // The cookie too: shared files open with it, and the old one's token is refused after the change.
  return (await call("/api/v1/me/password", { method: "PUT", ...json({ currentPassword, newPassword, cookie: true }, accessToken) })).json() as Promise<SessionView>;
}
