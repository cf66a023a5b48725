import type { FastifyInstance } from "fastify";
import { SERVICE, type HttpContext } from "../context.js";
import { clientAddress } from "../client-address.js";
import { couldBeAccountName } from "../../core/accounts/possible-names.js";
import { ProblemError, throttled } from "../problems.js";
import { commonErrors, loginBody, logoutBody, refreshBody, type LoginBody, type LogoutBody, type RefreshBody, type SessionView } from "../schemas.js";
import { newSession } from "../session-reply.js";
import { accountView, tokenPair } from "../views.js";
import { clearAccessCookie, setAccessCookie } from "../access-cookie.js";

/** One answer for an unknown name and a wrong password: nothing tells them apart. */
const INVALID_CREDENTIALS = "Wrong account name or password";

export function authRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post<{ Body: LoginBody; Reply: SessionView }>(
    "/api/v1/auth/login",
    {
      schema: {
        summary: "Log in with an account name and password",
        description:
          "Goes through the brute-force guard shared with IRC and FTP. An unknown name and a wrong password get the same 401 after the same work; repeated failures get 429 with Retry-After.",
        tags: ["auth"],
        body: loginBody,
        response: { 200: { description: "The account and a new session's tokens", $ref: "Session#" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      // A name that cannot exist is refused before any work: it reveals nothing about
      // real accounts, and keeps such bytes (NUL, say) away from the database.
      if (!couldBeAccountName(name)) {
        context.accounts.recordRefusal(clientAddress(request), SERVICE, "not a possible account name");
        throw new ProblemError("invalid-credentials", INVALID_CREDENTIALS);
      }
      const result = await context.accounts.login(name, password, clientAddress(request), SERVICE);
      if (!result.ok) throw result.reason === "throttled" ? throttled(result.retryAfterSeconds ?? 1) : new ProblemError("invalid-credentials", INVALID_CREDENTIALS);
      const session = await newSession(context, result.account);
      // The password changed while this login was checked: the change's revocation of every
      // session may have come before this one's, which would then outlive the old password.
      if (!(await context.accounts.isCurrentCredential(result.account, result.credential))) {
        await context.sessions.end(session.tokens.refreshToken);
        throw new ProblemError("invalid-credentials", INVALID_CREDENTIALS);
      }
      if (request.body.cookie) setAccessCookie(request, reply, session.tokens.accessToken, Date.parse(session.tokens.accessTokenExpiresAt));
      return session;
    },
  );

  app.post<{ Body: RefreshBody; Reply: SessionView }>(
    "/api/v1/auth/refresh",
    {
      schema: {
        summary: "Exchange a refresh token for new tokens",
        description:
          "The refresh token is single use: the answer carries its successor. Presenting a token that was already exchanged revokes its whole family (every token descended from the same login), except within `http.refreshReuseGraceSeconds` of its exchange while its successor is unused (a lost reply retried): then a new pair of the same session, and the successor is retired.",
        tags: ["auth"],
        body: refreshBody,
        response: { 200: { description: "The account and the next tokens", $ref: "Session#" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const result = await context.sessions.refresh(request.body.refreshToken, clientAddress(request));
      if (!result.ok) throw new ProblemError("invalid-token", "The refresh token is invalid, expired or revoked; log in again");
      const access = await context.tokens.issue(result.account.id, result.account.name, result.account.credentialsVersion);
      if (request.body.cookie) setAccessCookie(request, reply, access.token, access.expiresAt);
      return { account: accountView(result.account), tokens: tokenPair(access, result.refresh) };
    },
  );

  app.post<{ Body: LogoutBody | undefined }>(
    "/api/v1/auth/logout",
    {
      // No body at all is an empty one: the schema below then has an object to check.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        summary: "Log out: revoke the refresh token's family",
        description:
          "Always 204, known token or not, and clears the cmy_access cookie; without a refresh token (or a body) only the cookie is cleared. Access tokens already issued stay valid until they expire (minutes).",
        tags: ["auth"],
        body: logoutBody,
        response: { 204: { description: "Logged out", type: "null" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const refreshToken = request.body?.refreshToken;
      if (refreshToken !== undefined) await context.sessions.end(refreshToken);
      clearAccessCookie(request, reply);
      return reply.code(204).send();
    },
  );
}
