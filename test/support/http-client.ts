import type { Problem } from "../../src/http/problems.js";
import type { MessagePage, SessionView } from "../../src/http/schemas.js";
import { after, before } from "node:test";
import { RawClient } from "./raw-client.js";
import { startTestServer, type TestServer } from "./test-server.js";

export interface HttpReply<T> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (undefined when there is none). */
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  /** JSON-encoded as the body. */
  readonly json?: unknown;
  /** Sent as-is (with content-type application/json unless `headers` say otherwise). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export const PASSWORD = "correct horse battery staple";

/** The HTTP API through real requests with `fetch`, the way a browser client talks to it. */
export class ApiClient {
  constructor(readonly base: string) {}

  static forPort(port: number): ApiClient {
    return new ApiClient(`http://127.0.0.1:${port}`);
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<HttpReply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined || options.raw !== undefined) {
      headers["content-type"] ??= "application/json";
      body = options.raw ?? JSON.stringify(options.json);
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, ...(body !== undefined && { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T, text };
  }

  get<T = unknown>(path: string, token?: string): Promise<HttpReply<T>> {
    return this.request<T>("GET", path, token === undefined ? {} : { token });
  }

  post<T = unknown>(path: string, json: unknown, token?: string): Promise<HttpReply<T>> {
    return this.request<T>("POST", path, { json, ...(token !== undefined && { token }) });
  }

  async register(name: string, password = PASSWORD): Promise<SessionView> {
    const reply = await this.post<SessionView>("/api/v1/accounts", { name, password });
    if (reply.status !== 201) throw new Error(`register ${name}: ${reply.status} ${reply.text}`);
    return reply.body;
  }

  login(name: string, password = PASSWORD): Promise<HttpReply<SessionView & Problem>> {
    return this.post("/api/v1/auth/login", { name, password });
  }

  refresh(refreshToken: string): Promise<HttpReply<SessionView & Problem>> {
    return this.post("/api/v1/auth/refresh", { refreshToken });
  }

  channelMessages(channel: string, token: string, query = ""): Promise<HttpReply<MessagePage & Problem>> {
    return this.get(`/api/v1/channels/${encodeURIComponent(channel)}/messages${query}`, token);
  }

  dmMessages(account: string, token: string, query = ""): Promise<HttpReply<MessagePage & Problem>> {
    return this.get(`/api/v1/dms/${encodeURIComponent(account)}/messages${query}`, token);
  }
}

/** Asserts the shape every error shares: problem+json with type, title, status and detail. */
export function isProblem(reply: HttpReply<unknown>, status: number): boolean {
  const body = reply.body as Partial<Problem> | undefined;
  return (
    reply.status === status &&
    (reply.headers.get("content-type") ?? "").startsWith("application/problem+json") &&
    body?.status === status &&
    typeof body.type === "string" &&
    typeof body.title === "string" &&
    typeof body.detail === "string"
  );
}

/** An IRC client registered as `nick` and logged in to the account of that name through NickServ. */
export async function ircLogin(port: number, nick: string, password = PASSWORD): Promise<RawClient> {
  const client = await RawClient.register(port, nick);
  client.send(`PRIVMSG NickServ :IDENTIFY ${nick} ${password}`);
  await client.waitFor(/ 900 /);
  return client;
}

/** Retries `check` until it stops throwing (messages are stored asynchronously to what a client sees). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The server and client every test of a file (or of the describe block it is called in) shares. */
export interface SharedHttpServer {
  readonly server: TestServer;
  readonly api: ApiClient;
}

/**
 * Starts one test server with an HTTP listener before the tests of the enclosing file or
 * describe block and stops it after them; its fields are set once the tests run.
 */
export function sharedHttpServer(): SharedHttpServer {
  const shared = {} as { server: TestServer; api: ApiClient };
  before(async () => {
    shared.server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    shared.api = ApiClient.forPort(shared.server.httpPort);
  });
  after(() => shared.server.stop());
  return shared;
}
