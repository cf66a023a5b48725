import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { suiteScope } from "../support/account-server.js";
import { launchBrowser, signIn, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { PASSWORD } from "../support/http-client.js";
import { waitFor } from "../support/wait.js";

/**
 * The client's service worker (web/public/sw.js, served at /sw.js) in real Chromium: a Web Push
 * payload (the IRC line of a message, draft/webpush) becomes one notification per conversation with
 * a readable title and text. Pushes are handed to the worker through the DevTools protocol
 * (ServiceWorker.deliverPushMessage), as the browser's push service would; the encrypted path from
 * the server to a push service is tested by the push suite.
 */

/** How long a push may take to show before it is delivered again (see pushShown). */
const REDELIVER_AFTER_MS = 5000;

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { conversation: string };
}

describe("web client: service worker notifications in Chromium", () => {
  const scope = suiteScope();
  let web: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let registrationId: string;
  /** What DevTools reported of the worker's versions and errors, for a failure's message. */
  const versions: Array<{ registrationId: string; status: string; runningStatus: string }> = [];
  const workerErrors: string[] = [];

  before(async () => {
    web = await startWebServer(scope);
    browser = await launchBrowser();
    context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    await context.grantPermissions(["notifications"], { origin: web.url });
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...event.registrations));
    cdp.on("ServiceWorker.workerVersionUpdated", (event) => versions.push(...event.versions.map((v) => ({ registrationId: v.registrationId, status: v.status, runningStatus: v.runningStatus }))));
    cdp.on("ServiceWorker.workerErrorReported", (event) => workerErrors.push(event.errorMessage.errorMessage));
    await cdp.send("ServiceWorker.enable");
    // Signed in, the app registers its worker (web/src/notifications.ts, from web/src/ui/extras.tsx).
    await web.api.register("olga");
    await page.goto(web.url);
    await signIn(page, "olga", PASSWORD);
    await page.evaluate(async () => {
      await (globalThis as unknown as { navigator: { serviceWorker: { ready: Promise<unknown> } } }).navigator.serviceWorker.ready;
    });
    registrationId = await waitFor(() => registrations.find((r) => !r.isDeleted && r.scopeURL === `${web.url}/`)?.registrationId, {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the service worker's registration",
    });
    // navigator.serviceWorker.ready resolves while the worker is still activating; a push the
    // browser delivers then can be lost (CI, stop 26: the first push of the suite never showed).
    // A push service only ever pushes to an activated worker, so the tests wait for that too.
    await waitFor(() => versions.some((v) => v.registrationId === registrationId && v.status === "activated"), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the service worker's activation",
    });
  });

  after(async () => {
    await browser?.close();
    await scope.run();
  });

  async function push(line: string): Promise<void> {
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: web.url, registrationId, data: line });
  }

  /**
   * Delivers `line` until the worker shows `count` notifications. Chromium's DevTools push
   * delivery now and then drops one on a loaded machine (2026-12-07: the third push of a
   * test never showed, the worker activated and idle, no error), so it is delivered again
   * after a while: a line shown twice replaces itself (same tag), so the count stays that of
   * the distinct conversations, and a worker that shows nothing for it still fails the test.
   */
  async function pushShown(line: string, count: number, until: (list: Shown[]) => boolean = () => true): Promise<Shown[]> {
    for (let attempt = 1; ; attempt++) {
      await push(line);
      const last = attempt === 3;
      try {
        return await shown(count, last ? STEP_TIMEOUT_MS : REDELIVER_AFTER_MS, until);
      } catch (error) {
        if (last) throw error;
      }
    }
  }

  /** The notifications the worker shows now, once there are `count` of them (and `until` holds). */
  async function shown(count: number, timeoutMs = STEP_TIMEOUT_MS, until: (list: Shown[]) => boolean = () => true): Promise<Shown[]> {
    // What was last seen, for the failure message: a count alone does not say which push went missing.
    let last: Shown[] = [];
    try {
      return await waitFor(
        async () => {
          last = await page.evaluate(async () => {
            const container = (globalThis as unknown as { navigator: { serviceWorker: { ready: Promise<{ getNotifications(): Promise<Array<Shown>> }> } } }).navigator.serviceWorker;
            const registration = await container.ready;
            return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
          });
          return last.length === count && until(last) ? last : undefined;
        },
        { timeoutMs, what: `${count} notifications` },
      );
    } catch (error) {
      const states = versions.filter((v) => v.registrationId === registrationId).map((v) => `${v.status}/${v.runningStatus}`);
      throw new Error(`${(error as Error).message}; shown: ${JSON.stringify(last)}; worker states: ${states.join(" ")}; worker errors: ${JSON.stringify(workerErrors)}`, { cause: error });
    }
  }

  test("a mention in a channel and a direct message each show a notification named after the conversation", async () => {
    // One push at a time, each seen shown (as in the next test): of two pushes delivered back
    // to back through DevTools, Chromium now and then shows only the first (CI, stop 24).
    await pushShown("@time=2026-05-01T12:00:00.000Z;msgid=m1;account=bob :bob!bob@host PRIVMSG #general :alice: \x02lunch\x02 at \x0304noon\x03?", 1);
    const list = await pushShown(":carol!c@host PRIVMSG alice :\x01ACTION waves\x01", 2);
    const byTag = new Map(list.map((n) => [n.tag, n]));
    assert.deepEqual(byTag.get("conversation:#general"), { title: "bob in #general", body: "alice: lunch at noon?", tag: "conversation:#general", data: { conversation: "#general" } });
    assert.deepEqual(byTag.get("conversation:carol"), { title: "carol", body: "* carol waves", tag: "conversation:carol", data: { conversation: "carol" } });
  });

  test("a newer message in the same conversation replaces its notification; an unreadable push still shows one", async () => {
    // One push at a time, each seen shown: twice in many runs, of two pushes delivered
    // back to back through DevTools here, Chromium showed only the first (stop 19's
    // diagnostics: the replaced #general one and carol's, no "New message").
    await pushShown(":bob!bob@host PRIVMSG #general :alice: make it one o'clock", 2, (list) => list.some((n) => n.body === "alice: make it one o'clock"));
    const list = await pushShown("not an IRC message", 3);
    assert.equal(list.filter((n) => n.tag === "conversation:#general").length, 1);
    assert.equal(list.find((n) => n.tag === "conversation:#general")?.body, "alice: make it one o'clock");
    assert.equal(list.find((n) => n.tag === "message")?.title, "New message");
  });

  test("the worker's request to open a conversation switches the open page to it", async () => {
    // What sw.js does on a notification click when a tab is open: focus it and ask it to show the
    // conversation. (A real click on a system notification cannot be made from a test.)
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByRole("heading", { name: "Settings", level: 2 }).waitFor();
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
    await worker.evaluate(async () => {
      const scope = globalThis as unknown as { clients: { matchAll(options: object): Promise<Array<{ postMessage(data: unknown): void }>> } };
      for (const client of await scope.clients.matchAll({ type: "window", includeUncontrolled: true })) client.postMessage({ type: "open-conversation", conversation: "#general" });
    });
    await waitFor(async () => (await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)) === "#/c/%23general", {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the page's route to #general",
    });
  });
});
