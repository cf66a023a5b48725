import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "../listen-address.js";
import { listenAddress, seconds } from "./fields.js";

/** `https://chat.example.org` or `http://localhost:5173`, kept in URL's normal form (lower case, no default port). */
const origin = z.string().transform((text, ctx): string => {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  const bare = url !== null && url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !text.endsWith("#") && !text.endsWith("?");
  if (!url || !bare || (url.protocol !== "http:" && url.protocol !== "https:")) {
    ctx.addIssue({ code: "custom", message: "an origin such as https://chat.example.org (scheme, host and optional port, no path)" });
    return z.NEVER;
  }
  return url.origin;
});

export const httpSection = z
  .strictObject({
    /** The web door (REST API, later the WebSocket gateway and the browser client); an empty list turns it off. */
    listen: z.array(listenAddress).default(["[::]:8080"].map((a) => parseListenAddress(a) as ListenAddress)),
    /** PEM Ed25519 private key signing access tokens; empty = made on first start in <dataDir>/keys/jwt-ed25519.pem. */
    jwtKeyFile: z.string().default(""),
    /** Lifetime of an access token (a JWT, not revocable: keep it short). */
    accessTokenMinutes: z.number().int().min(1).max(24 * 60).default(15),
    /** Lifetime of a refresh token; each use replaces it with a new one that lives this long again. */
    refreshTokenDays: z.number().positive().max(365).default(30),
    /**
     * Seconds after a refresh during which the token it replaced may be presented again (a
     * reply lost on its way): exchanged again, its unused successor retired. Later, that is a
     * reuse and revokes the family. 0 = every reuse does.
     */
    refreshReuseGraceSeconds: z.number().min(0).max(300).default(30),
    /** Seconds a client has to send a request's headers (from its first byte); later: 408 and closed. */
    headersTimeoutSeconds: seconds.max(300).default(10),
    /**
     * Seconds a client has to send a whole request, headers and body; later: 408 and closed.
     * At least headersTimeoutSeconds. Streamed file uploads have their own idle timeout instead.
     */
    requestTimeoutSeconds: seconds.max(3600).default(30),
    /** Largest request body accepted; bigger ones get 413. */
    bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(16 * 1024),
    /**
     * Requests pipelined on one connection that may wait for the answers before them (they are
     * served one at a time); the one past it gets 503 and the connection is closed.
     */
    maxPipelinedRequests: z.number().int().min(1).max(1024).default(32),
    /**
     * Reverse proxies you run in front, counted from this server: the client address is the X-Forwarded-For
     * entry that many places from the right (the one the outermost of them appended; entries further left
     * are the client's own choice). false = none (the header is ignored), true = 1.
     */
    trustProxy: z
      .union([z.boolean(), z.literal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])], { error: "false, true (one proxy) or the number of proxies in front, 1 to 10" })
      .transform((trust) => (trust === true ? 1 : trust === false ? 0 : trust))
      .default(0),
    /**
     * Origins (scheme://host[:port]) whose pages may open IRC over WebSocket at /ws, besides
     * the server's own (Origin's host = the request's Host header). Requests without Origin
     * (not from a browser) are always allowed.
     */
    allowedOrigins: z.array(origin).default([]),
    /** Directory of the built browser client served at /; empty = the package's dist/web (made by `npm run build`). */
    webRoot: z.string().default(""),
    /**
     * The web door's address as browsers and IRC clients reach it, e.g. "https://chat.example.org":
     * the base of absolute share links and of the FILEHOST upload URL. Empty = http://<server.name>:<first HTTP port>.
     */
    publicUrl: z
      .string()
      .regex(/^$|^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, "empty, or an http(s) URL such as https://chat.example.org")
      .transform((url) => url.replace(/\/+$/, ""))
      .default(""),
  })
  // Node refuses a header deadline later than the whole request's.
  .refine((h) => h.requestTimeoutSeconds >= h.headersTimeoutSeconds, {
    message: "requestTimeoutSeconds must be at least headersTimeoutSeconds",
    path: ["requestTimeoutSeconds"],
  })
  .prefault({});
