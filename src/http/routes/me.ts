import type { FastifyInstance } from "fastify";
import { SERVICE, type HttpContext } from "../context.js";
import { accountOf, authenticator } from "../authenticate.js";
import { clientAddress } from "../client-address.js";
import { ProblemError, throttled } from "../problems.js";
import { commonErrors, passwordBody, type AccountView, type PasswordBody, type SessionView } from "../schemas.js";
import { newSession } from "../session-reply.js";
import { accountView } from "../views.js";
import { clearAccessCookie, setAccessCookie } from "../access-cookie.js";

const bearer = [{ bearer: [] }];

export function meRoutes(app: FastifyInstance, context: HttpContext): void {
  const authenticate = authenticator(context);

  app.get<{ Reply: { account: AccountView } }>(
    "/api/v1/me",
    {
      onRequest: authenticate,
      schema: {
        summary: "The account the access token belongs to",
        tags: ["accounts"],
        security: bearer,
        response: {
          200: { description: "The account", type: "object", required: ["account"], properties: { account: { $ref: "Account#" } } },
          ...commonErrors,
        },
      },
    },
    async (request) => ({ account: accountView(accountOf(request)) }),
  );

  app.put<{ Body: PasswordBody; Reply: SessionView }>(
    "/api/v1/me/password",
    {
      onRequest: authenticate,
      schema: {
        summary: "Change the password",
        description:
          "Needs the current password (checked through the brute-force guard). Every refresh token of the account is revoked, on every device, and every Web Push subscription of the account deleted; the answer carries a new session for this one.",
        tags: ["accounts"],
        security: bearer,
        body: passwordBody,
        response: { 200: { description: "A new session for the caller", $ref: "Session#" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const { currentPassword, newPassword } = request.body;
      // Checked first: an unusable new password should cost no password verification.
      const problem = context.accounts.checkNewPassword(newPassword);
      if (problem) throw new ProblemError(problem, context.accounts.passwordProblemText(problem));
      const login = await context.accounts.login(account.name, currentPassword, clientAddress(request), SERVICE);
      if (!login.ok) throw login.reason === "throttled" ? throttled(login.retryAfterSeconds ?? 1) : new ProblemError("wrong-password", "The current password is wrong");
      const changed = await context.accounts.changePassword(account.name, newPassword);
      if (!changed.ok) {
        // Deleted between the check and the change: the token's account is gone.
        if (changed.reason === "no-such-account") throw new ProblemError("invalid-token", "The account no longer exists");
        throw new ProblemError(changed.reason, context.accounts.passwordProblemText(changed.reason));
      }
      // The account as the change left it: the new session's access token must carry its new
      // credentialsVersion, since one issued under the old version is refused from now on.
      const changedAccount = await context.accounts.findById(account.id);
      if (!changedAccount) throw new ProblemError("invalid-token", "The account no longer exists");
      const session = await newSession(context, changedAccount);
      // The cookie shared files are opened with holds a token of the old version, refused from now on.
      if (request.body.cookie) setAccessCookie(request, reply, session.tokens.accessToken, Date.parse(session.tokens.accessTokenExpiresAt));
      return session;
    },
  );

  app.delete(
    "/api/v1/me/sessions",
    {
      onRequest: authenticate,
      schema: {
        summary: "Sign out everywhere",
        description:
          "Revokes every refresh token of the account (every login session, on every device), deletes every Web Push subscription of the account, and clears this browser's cmy_access cookie. Access tokens already issued stay valid until they expire (minutes), as after a logout.",
        tags: ["accounts"],
        security: bearer,
        response: { 204: { description: "Every session ended", type: "null" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      await context.sessions.revokeAll(accountOf(request), "signed out everywhere");
      clearAccessCookie(request, reply);
      return reply.code(204).send();
    },
  );
}
