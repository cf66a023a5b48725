/**
 * JSON schemas of the API's bodies, shared by the routes (validation and fast
 * serialisation) and the OpenAPI document. Each has a TypeScript twin below it;
 * a response is serialised through its schema, so a field not listed here never
 * leaves the server.
 */
import { PROBLEM_CONTENT_TYPE } from "./problems.js";
import { MAX_PASSWORD_BYTES } from "../auth/password-policy.js";
import { MAX_EMAIL_LENGTH } from "../core/accounts/account-service.js";

export const problemSchema = {
  $id: "Problem",
  type: "object",
  description: "RFC 9457 problem details",
  required: ["type", "title", "status", "detail"],
  properties: {
    type: { type: "string", description: "urn:cmymessage:problem:<reason>, or about:blank" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
  },
} as const;

/** An error response as the OpenAPI document and the serialiser see it. */
export const problemResponse = {
  description: "Problem details (application/problem+json)",
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "Problem#" } } },
} as const;

/** Error responses every route can give; routes add their own codes. */
export const commonErrors = { "4xx": problemResponse, "5xx": problemResponse } as const;

// Length caps keep hostile input small before any handler sees it.
const accountName = { type: "string", minLength: 1, maxLength: 64 } as const;
/**
 * A password being set is the policy's to refuse (400 too-long, as documented): the policy
 * counts UTF-8 bytes after NFKC, and normalisation can join several code points into one
 * character of fewer bytes ("u\u0308\u0304", 3 code points, is "ǖ", 2 bytes), so a password
 * within the policy may have more code points than MAX_PASSWORD_BYTES. The cap (in code
 * points, as JSON schema counts) is well past that; the body limit bounds it anyway.
 */
const newPassword = { type: "string", minLength: 1, maxLength: 4 * MAX_PASSWORD_BYTES } as const;
/** A password to check against a stored one (login, the current password): whatever a new one may be must get through. */
const password = newPassword;
const isoTime = { type: "string", format: "date-time" } as const;
/** Asks for the access token as the HttpOnly cookie `cmy_access` too (for shared files, see access-cookie.ts). */
const cookie = { type: "boolean", description: "Also set the access token as the HttpOnly cookie cmy_access (Path=/f/), to open shared files in a browser" } as const;

export const accountSchema = {
  $id: "Account",
  type: "object",
  required: ["id", "name", "email", "createdAt"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    email: { type: ["string", "null"] },
    createdAt: isoTime,
  },
} as const;
export interface AccountView {
  id: number;
  name: string;
  email: string | null;
  createdAt: string;
}

export const tokenPairSchema = {
  $id: "TokenPair",
  type: "object",
  required: ["tokenType", "accessToken", "accessTokenExpiresAt", "refreshToken", "refreshTokenExpiresAt"],
  properties: {
    tokenType: { type: "string", enum: ["Bearer"] },
    accessToken: { type: "string", description: "JWT (EdDSA); send as `Authorization: Bearer <token>`" },
    accessTokenExpiresAt: isoTime,
    refreshToken: { type: "string", description: "Opaque; single use: each refresh returns a new one" },
    refreshTokenExpiresAt: isoTime,
  },
} as const;
export interface TokenPair {
  tokenType: "Bearer";
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export const sessionSchema = {
  $id: "Session",
  type: "object",
  required: ["account", "tokens"],
  properties: { account: { $ref: "Account#" }, tokens: { $ref: "TokenPair#" } },
} as const;
export interface SessionView {
  account: AccountView;
  tokens: TokenPair;
}

export const messageSchema = {
  $id: "Message",
  type: "object",
  required: ["msgid", "time", "kind", "target", "from", "text", "tags"],
  properties: {
    msgid: { type: "string" },
    time: isoTime,
    kind: { type: "string", enum: ["privmsg", "notice"] },
    target: { type: "string", description: "The channel, or the nick the sender wrote to" },
    from: {
      type: "object",
      required: ["nick", "account"],
      properties: { nick: { type: "string" }, account: { type: ["string", "null"] } },
    },
    text: { type: "string" },
    tags: { type: "object", additionalProperties: { type: "string" }, description: "Client-only IRCv3 tags" },
  },
} as const;
export interface MessageView {
  msgid: string;
  time: string;
  kind: "privmsg" | "notice";
  target: string;
  from: { nick: string; account: string | null };
  text: string;
  tags: Record<string, string>;
}

export const messagePageSchema = {
  $id: "MessagePage",
  type: "object",
  required: ["messages", "more"],
  properties: {
    messages: { type: "array", items: { $ref: "Message#" }, description: "Oldest first" },
    more: { type: "boolean", description: "Older messages exist: ask again with before=<first msgid>" },
  },
} as const;
export interface MessagePage {
  messages: MessageView[];
  more: boolean;
}

export const searchResultSchema = {
  $id: "SearchResult",
  type: "object",
  required: ["msgid", "time", "kind", "from", "account", "text", "conversation"],
  properties: {
    msgid: messageSchema.properties.msgid,
    time: isoTime,
    kind: messageSchema.properties.kind,
    from: { type: "string", description: "The sender's nick when it was sent" },
    account: { type: ["string", "null"], description: "The sender's account, or null for a guest" },
    text: messageSchema.properties.text,
    conversation: {
      description: "Where it was said: a channel by its name, or a direct conversation by the other side (an account, or a guest's nick)",
      oneOf: [
        { type: "object", required: ["kind", "name"], properties: { kind: { type: "string", enum: ["channel"] }, name: { type: "string" } } },
        { type: "object", required: ["kind", "with"], properties: { kind: { type: "string", enum: ["direct"] }, with: { type: "string" } } },
      ],
    },
  },
} as const;
export interface SearchResultView {
  msgid: string;
  time: string;
  kind: "privmsg" | "notice";
  from: string;
  account: string | null;
  text: string;
  conversation: { kind: "channel"; name: string } | { kind: "direct"; with: string };
}

export const searchPageSchema = {
  $id: "SearchPage",
  type: "object",
  required: ["results", "next"],
  properties: {
    results: { type: "array", items: { $ref: "SearchResult#" }, description: "Newest first" },
    next: { type: ["string", "null"], description: "Opaque cursor: ask again with before=<next> for older results; null when there are none" },
  },
} as const;
export interface SearchPageView {
  results: SearchResultView[];
  next: string | null;
}

/** Every shared schema, added to the app once so routes can `$ref` them. */
export const sharedSchemas = [problemSchema, accountSchema, tokenPairSchema, sessionSchema, messageSchema, messagePageSchema, searchResultSchema, searchPageSchema] as const;

export const registerBody = {
  type: "object",
  required: ["name", "password"],
  additionalProperties: false,
  // null is no email, as an account without one shows it; listed in the type so that
  // type coercion does not turn it into "", which is no email address.
  properties: { name: accountName, password: newPassword, email: { type: ["string", "null"], maxLength: MAX_EMAIL_LENGTH, format: "email" }, cookie },
} as const;
export interface RegisterBody {
  name: string;
  password: string;
  email?: string | null;
  cookie?: boolean;
}

export const loginBody = {
  type: "object",
  required: ["name", "password"],
  additionalProperties: false,
  properties: { name: accountName, password, cookie },
} as const;
export interface LoginBody {
  name: string;
  password: string;
  cookie?: boolean;
}

export const refreshBody = {
  type: "object",
  required: ["refreshToken"],
  additionalProperties: false,
  properties: { refreshToken: { type: "string", minLength: 1, maxLength: 256 }, cookie },
} as const;
export interface RefreshBody {
  refreshToken: string;
  cookie?: boolean;
}

/** Logout needs nothing: without a token (or a body) it only clears the cookie, and still answers 204. */
export const logoutBody = {
  type: "object",
  additionalProperties: false,
  properties: refreshBody.properties,
} as const;
export interface LogoutBody {
  refreshToken?: string;
  cookie?: boolean;
}

export const passwordBody = {
  type: "object",
  required: ["currentPassword", "newPassword"],
  additionalProperties: false,
  properties: { currentPassword: password, newPassword, cookie },
} as const;
export interface PasswordBody {
  currentPassword: string;
  newPassword: string;
  cookie?: boolean;
}

export const historyQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    before: { type: "string", minLength: 1, maxLength: 100, description: "A msgid, or an ISO 8601 time: only older messages" },
    limit: { type: "integer", minimum: 1, maximum: 200, default: 50 },
  },
} as const;
export interface HistoryQueryString {
  before?: string;
  limit: number;
}

export const searchQuery = {
  type: "object",
  additionalProperties: false,
  required: ["q"],
  properties: {
    // The real limit (search.maxQueryChars, after trimming) is checked by the handler; this only caps what reaches it.
    q: { type: "string", maxLength: 1000, description: "Words to find, all of them (case-insensitive); the last one also as a prefix. Not a query language: quotes, OR, * and : are plain text." },
    limit: { type: "integer", minimum: 1, maximum: 100, default: 50 },
    before: { type: "string", minLength: 1, maxLength: 100, description: "The `next` cursor of the previous page" },
  },
} as const;
export interface SearchQueryString {
  q: string;
  limit: number;
  before?: string;
}
