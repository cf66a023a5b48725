import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The access token as an HttpOnly cookie, for what a browser fetches without
 * script: an <img> or a link to a shared file. It is sent only to `/f/` (Path) and
 * only by pages of this site (SameSite=Strict), and only GET/HEAD of `/f/*` accept
 * it — every other route wants `Authorization: Bearer`, so the cookie opens no
 * cross-site request forgery: it can only read a share its holder may read anyway.
 */
export const ACCESS_COOKIE = "cmy_access";
const SCOPE = "HttpOnly; SameSite=Strict; Path=/f/";

/** TLS to us, or to the proxy in front of us when `http.trustProxy` lets X-Forwarded-Proto (its last value: `fastifyProxyTrust`) say so. */
function secure(request: FastifyRequest): string {
  return request.protocol === "https" ? "; Secure" : "";
}

/** Sets the cookie to `token`, living as long as the token does. */
export function setAccessCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number, now = Date.now()): void {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  reply.header("set-cookie", `${ACCESS_COOKIE}=${token}; ${SCOPE}; Max-Age=${maxAge}${secure(request)}`);
}

export function clearAccessCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header("set-cookie", `${ACCESS_COOKIE}=; ${SCOPE}; Max-Age=0${secure(request)}`);
}

/** The token in the request's cookie, if any (the value is a JWT: no quoting or escaping to undo). */
export function accessTokenFromCookie(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === ACCESS_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_.-]{1,4096}$/.test(value) ? value : null;
    }
  }
  return null;
}
