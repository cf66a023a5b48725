import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { sleep, suiteScope } from "../support/account-server.js";
import { PASSWORD } from "../support/http-client.js";
import { CHROMIUM, CHROMIUM_ARGS, CspViolations, launchBrowser, signIn, signedInPage, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { waitFor } from "../support/wait.js";

const REFRESH_PATH = "/api/v1/auth/refresh";

/**
 * The web client's session across time and tabs: when the access token is refreshed, and
 * that tabs sharing one refresh token never present it twice (the server would take that
 * for theft), also where the browser has no Web Locks (a page that is not a secure context).
 */
describe("web client: session tokens", () => {
  const scope = suiteScope();
  let web: WebServer;
  let browser: Browser;
  /** Resolves chat.test to loopback: http://chat.test:<port>/ is not a secure context, unlike 127.0.0.1. */
  let plainHttpBrowser: Browser;
  const cspViolations = new CspViolations();

  before(async () => {
    // One-minute access tokens: the shortest the server allows.
    web = await startWebServer(scope, { http: { accessTokenMinutes: 1 } });
    browser = await launchBrowser();
    plainHttpBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP chat.test 127.0.0.1"], timeout: 60_000 });
    for (const name of ["uma", "vic"]) await web.api.register(name);
  });

  after(async () => {
    await browser?.close();
    await plainHttpBrowser?.close();
    await scope.run();
    assert.deepEqual(cspViolations.seen, [], "the pages broke their Content-Security-Policy");
  });

  function connected(page: Page) {
    return page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ });
  }

  test("a one-minute access token is refreshed half-way through its life, not every few seconds", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = cspViolations.watch(await context.newPage());
    // The page's timers are run forward rather than waited for: its clock is the test's.
    await page.clock.install();
    await page.goto(web.url);
    await signIn(page, "uma", PASSWORD);
    await connected(page).waitFor();
    /** How far the page's clock was run forward; each refresh is noted with it. */
    let forwardMs = 0;
    const refreshes: number[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === REFRESH_PATH) refreshes.push(forwardMs);
    });
    /** Runs the page's clock `ms` forward a second at a time, giving each second's work (a refresh's request) time to show. */
    const runFor = async (ms: number, until: () => boolean = () => false): Promise<void> => {
      for (let ran = 0; ran < ms && !until(); ran += 1000) {
        await page.clock.runFor(1000);
        forwardMs += 1000;
        await sleep(30);
      }
    };

    await runFor(15_000);
    await sleep(300);
    assert.deepEqual(refreshes, [], "refreshed within 15 s of signing in, with 60 s to go");

    // Due 30 s before expiry: about 30 s after signing in, well before the token runs out.
    await runFor(30_000, () => refreshes.length > 0);
    await waitFor(async () => (refreshes.length > 0 ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the first refresh" });
    const first = refreshes[0]!;
    assert.ok(first >= 25_000 && first <= 45_000, `the first refresh ${first} ms (page time) after signing in`);
    await runFor(5_000);
    await sleep(300);
    assert.equal(refreshes.length, 1, "one refresh, then quiet again");
    await connected(page).waitFor();
    assert.equal(await page.getByRole("button", { name: "Sign in", exact: true }).count(), 0);
    await context.close();
  });

  test("tabs restored together over plain http (no Web Locks) never present one refresh token twice", async () => {
    const url = `http://chat.test:${web.httpPort}/`;
    const context = await plainHttpBrowser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const first = cspViolations.watch(await context.newPage());
    await first.goto(url);
    assert.deepEqual(await first.evaluate("[isSecureContext, 'locks' in navigator]"), [false, false], "the page is a secure context: Web Locks would be used");
    await signIn(first, "vic", PASSWORD);
    await first.close();

    // Each refresh is held until a second one comes (or 2 s pass): two tabs racing for the
    // stored token both get to present it, unless one waits for the other.
    const presented: string[] = [];
    let another: () => void = () => {};
    await context.route(`**${REFRESH_PATH}`, async (route) => {
      const token = (route.request().postDataJSON() as { refreshToken: string }).refreshToken;
      presented.push(token);
      if (presented.length === 1) await Promise.race([new Promise<void>((resolve) => (another = resolve)), sleep(2_000)]);
      else another();
      await route.continue();
    });
    const tabs = await Promise.all([context.newPage(), context.newPage()]);
    const failedRefreshes: number[] = [];
    for (const tab of tabs) {
      cspViolations.watch(tab);
      tab.on("response", (response) => {
        if (new URL(response.url()).pathname === REFRESH_PATH && response.status() !== 200) failedRefreshes.push(response.status());
      });
    }
    await Promise.all(tabs.map((tab) => tab.goto(url)));
    await waitFor(async () => (presented.length >= 2 ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "both tabs' refreshes" });
    assert.equal(presented.length, 2, "each tab restored its session with one refresh");
    assert.notEqual(presented[0], presented[1], "both tabs presented the same refresh token");
    for (const tab of tabs) await connected(tab).waitFor();
    assert.deepEqual(failedRefreshes, []);

    // The token the tabs left behind is the live one: a reload restores the session again.
    await context.unroute(`**${REFRESH_PATH}`);
    await tabs[0]!.reload();
    await connected(tabs[0]!).waitFor();
    await context.close();
  });
});
