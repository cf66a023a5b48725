/**
 * End-to-end tests of the browser client: Debian's Chromium driven by playwright-core
 * (no browser download), against the real server serving the built client (dist/web)
 * with HTTP, /ws and IRC on loopback ports. One browser per test file, a context per
 * person (a context is a fresh profile: its own localStorage and cookies).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { RunningServer } from "../../src/server.js";
import { bootServer, createHome, type Scope, type ServerConfig, type ServerHome } from "./account-server.js";
import { ApiClient } from "./http-client.js";
import { waitFor } from "./wait.js";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CHROMIUM = "/usr/bin/chromium";
/** Headless, no sandbox (containers), and nothing that talks to Google or the network on its own. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Notifications in Chromium's own centre, not the desktop's over D-Bus: a test machine has no
  // desktop, and a D-Bus that is there but does not answer held showNotification (and with it
  // the push event a service-worker test delivers) past the step timeout.
  "--disable-features=SystemNotifications,NativeNotifications",
];

/** Bounds every step of a browser test: a failure, not a measurement. */
export const STEP_TIMEOUT_MS = 15_000;

/**
 * CMY_TEST_WEB_ROOT names a client built elsewhere (`npx vite build --config web/vite.config.ts
 * --outDir <dir>`) to test instead of dist/web: a change to the client tested without a full build.
 */
const TEST_WEB_ROOT = process.env.CMY_TEST_WEB_ROOT ?? "";

function withTestWebRoot(config: ServerConfig): ServerConfig {
  return TEST_WEB_ROOT === "" ? config : { ...config, http: { ...config.http, webRoot: TEST_WEB_ROOT } };
}

/** Chromium with a fresh temporary profile (playwright makes and removes one for `launch`). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(resolve(REPO, TEST_WEB_ROOT || "dist/web", "index.html"))) throw new Error("dist/web is missing: run `npm run build` before the browser tests");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface WebServer {
  readonly home: ServerHome;
  readonly server: RunningServer;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly httpPort: number;
  readonly ircPort: number;
  readonly api: ApiClient;
  /** Stops the server and starts a new one on the same ports and data. */
  restart(): Promise<void>;
  /** Stops it (without starting again): `start()` brings it back on the same ports and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * The full server (IRC, HTTP with /ws and the web client) on 127.0.0.1, ports chosen
 * by the system at the first start and kept across restarts; closed with `scope`.
 */
export async function startWebServer(scope: Scope, config: ServerConfig = {}): Promise<WebServer> {
  config = withTestWebRoot(config);
  const home = await createHome(scope);
  const first = await bootServer(home, { ...config, http: { ...config.http, listen: ["127.0.0.1:0"] } });
  const httpPort = first.http[0]!.port;
  const ircPort = first.irc.plain[0]!.port;
  const pinned: ServerConfig = { ...config, http: { ...config.http, listen: [`127.0.0.1:${httpPort}`] }, irc: { ...config.irc, listen: [`127.0.0.1:${ircPort}`] } };
  let server: RunningServer | null = first;
  home.track(async () => {
    await server?.stop();
  });
  const web: WebServer = {
    home,
    get server() {
      if (!server) throw new Error("the server is stopped");
      return server;
    },
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    ircPort,
    api: ApiClient.forPort(httpPort),
    async stop() {
      const running = server;
      server = null;
      await running?.stop();
    },
    async start() {
      if (server) return;
      server = await bootServer(home, pinned);
    },
    async restart() {
      await web.stop();
      await web.start();
    },
  };
  return web;
}

/** A new context (profile) with one page, signed in as `account`, the conversation list on screen. */
/** Content-Security-Policy violations pages report on their console: the client must cause none (assert `seen` empty at the end). */
export class CspViolations {
  readonly seen: string[] = [];

  watch(page: Page): Page {
    page.on("console", (message) => {
      if (message.type() === "error" && /Content.Security.Policy/i.test(message.text())) this.seen.push(message.text());
    });
    return page;
  }
}

/**
 * What a page's WebSockets carried, in order (which connection, which way, when), and what
 * its console reported as errors: added to a failure's message, it shows what the client
 * did when a step timed out (a reconnect, a line never sent).
 */
export class PageTrace {
  readonly #lines: string[] = [];

  constructor(page: Page) {
    let sockets = 0;
    const stamp = (): string => new Date().toISOString().slice(11, 23);
    page.on("websocket", (socket) => {
      const id = `ws${++sockets}`;
      this.#lines.push(`${stamp()} ${id} opened`);
      const note = (way: string, payload: string | Buffer): void => {
        for (const line of String(payload).split(/\r?\n/)) if (line !== "") this.#lines.push(`${stamp()} ${id} ${way} ${line}`);
      };
      socket.on("framesent", ({ payload }) => note(">", payload));
      socket.on("framereceived", ({ payload }) => note("<", payload));
      socket.on("close", () => this.#lines.push(`${stamp()} ${id} closed`));
    });
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") this.#lines.push(`${stamp()} console.${message.type()} ${message.text()}`);
    });
  }

  /** `error` with the trace's last `count` lines added to its message. */
  explain(error: unknown, count = 80): Error {
    const failure = error instanceof Error ? error : new Error(String(error));
    failure.message += `\n--- the page's last ${count} WebSocket frames and console errors:\n${this.#lines.slice(-count).join("\n")}`;
    return failure;
  }
}

export async function signedInPage(browser: Browser, web: WebServer, account: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  await page.goto(web.url);
  await signIn(page, account, password);
  return { context, page };
}

export async function signIn(page: Page, account: string, password: string): Promise<void> {
  await page.getByLabel("Account").fill(account);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  // Attached, not visible: on a narrow screen the list waits in a closed drawer.
  await page.locator("nav.conversations").waitFor({ state: "attached" });
}

/** The link of a conversation in the list, by its accessible name ("#general", a nick). */
export function conversationLink(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name, exact: true });
}

/** The unread count shown beside a conversation (0 when none). */
export async function unreadCount(page: Page, name: string): Promise<number> {
  return Number((await conversationLink(page, name).getAttribute("data-unread")) ?? "0");
}

/** The item of the open conversation's list of messages whose text is exactly `text`. */
/**
 * Waits until the element with id `id` has the focus. Polled from here: `page.waitForFunction`
 * with a string is evaluated by `eval` in the page, which the client's Content-Security-Policy
 * refuses whenever the condition is not already true at the first look.
 */
export async function waitForFocus(page: Page, id: string): Promise<void> {
  const element = page.locator(`#${id}`);
  await waitFor(async () => (await element.count()) > 0 && (await element.evaluate((el) => el === el.ownerDocument.activeElement)), { what: `#${id} to have the focus` });
}

export function messageItem(page: Page, text: string) {
  const exact = new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return page
    .getByRole("list", { name: "Messages" })
    .locator(":scope > li")
    .filter({ has: page.locator(".text").filter({ hasText: exact }) });
}

/** The texts of the open conversation's messages, in order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.getByRole("list", { name: "Messages" }).locator(":scope > li .text").allInnerTexts();
}

export interface AxeFinding {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string[];
}

/** axe-core's serious and critical findings on the page as it is now. */
export async function seriousAccessibilityFindings(page: Page): Promise<AxeFinding[]> {
  // Evaluated through the DevTools protocol: an inline <script> would be refused by the page's CSP, which stays on.
  await page.evaluate(`${axe.source}\n;void 0`);
  // Runs in the page (the test's tsconfig has no DOM types: the page's globals are reached through globalThis).
  const results = await page.evaluate(async () => {
    type Found = { violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };
    const page = globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<Found> }; document: unknown };
    const found = await page.axe.run(page.document, { resultTypes: ["violations"] });
    return found.violations.map((v) => ({ id: v.id, impact: v.impact ?? "unknown", help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return results.filter((finding) => finding.impact === "serious" || finding.impact === "critical");
}
