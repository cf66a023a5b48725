import type { FastifyInstance } from "fastify";
import type { AccountService, RegisterFailure } from "../../core/accounts/account-service.js";
import { SERVICE, type HttpContext } from "../context.js";
import { clientAddress } from "../client-address.js";
import { ProblemError, throttled } from "../problems.js";
import { addressLimitText, SELF_REGISTRATION_OFF_TEXT } from "../../core/accounts/registration-limit.js";
import { commonErrors, registerBody, type RegisterBody, type SessionView } from "../schemas.js";
import { newSession } from "../session-reply.js";
import { setAccessCookie } from "../access-cookie.js";

function detail(reason: RegisterFailure, accounts: AccountService, name: string): string {
  switch (reason) {
    case "invalid-name":
      return accounts.nameProblemText(name) ?? "Account names follow the nick rules: a letter or one of [ ] \\ ` _ ^ { | } first, then those, digits and '-'";
    case "name-taken":
    case "name-retired":
      return "Choose another name";
    default:
      return accounts.passwordProblemText(reason);
  }
}

export function accountRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post<{ Body: RegisterBody; Reply: SessionView }>(
    "/api/v1/accounts",
    {
      schema: {
        summary: "Register an account and log in",
        description:
          "Shares the brute-force guard with every login: a taken name counts as a failure against the caller's address. " +
          "At most accounts.registrationsPerAddressPerHour accounts per address (IPv4, IPv6 /64) per hour (429 registration-limit with Retry-After); " +
          "403 registration-closed when accounts.selfRegistration is off.",
        tags: ["accounts"],
        body: registerBody,
        response: { 201: { description: "The new account and its first tokens", $ref: "Session#" }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { name, password, email } = request.body;
      const result = await context.accounts.registerFrom(name, password, email ?? null, clientAddress(request), SERVICE);
      if (!result.ok) {
        if (result.reason === "throttled") throw throttled(result.retryAfterSeconds);
        if (result.reason === "address-limit") {
          throw new ProblemError("registration-limit", addressLimitText(result.retryAfterSeconds), { "retry-after": String(result.retryAfterSeconds) });
        }
        if (result.reason === "disabled") throw new ProblemError("registration-closed", SELF_REGISTRATION_OFF_TEXT);
        throw new ProblemError(result.reason, detail(result.reason, context.accounts, name));
      }
      const session = await newSession(context, result.account);
      if (request.body.cookie) setAccessCookie(request, reply, session.tokens.accessToken, Date.parse(session.tokens.accessTokenExpiresAt));
      return reply.code(201).send(session);
    },
  );
}
