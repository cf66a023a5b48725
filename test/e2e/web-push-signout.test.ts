import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { IrcLibClient, openHomeStore, suiteScope } from "../support/account-server.js";
import { launchBrowser, signIn, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { PASSWORD } from "../support/http-client.js";
import { parseLine } from "../support/irc-lines.js";
import { fakePushServiceScript, type FakePushServiceState } from "../support/fake-push-service.js";
import { PushEndpoint, type TestSubscription } from "../support/push-endpoint.js";
import { waitFor } from "../support/wait.js";

/**
 * Signing out of the browser client ends Web Push to that browser: "Sign out" says
 * `WEBPUSH UNREGISTER <endpoint>` over /ws while the connection is still up and ends the
 * browser's PushSubscription; "Sign out everywhere" has the server delete every subscription of
 * the account and ends this browser's too. Before, the signed-out account's direct messages went
 * on reaching the browser (and whoever had registered an endpoint of their own).
 *
 * The browser's push service is faked (test/support/fake-push-service.ts; an offline machine has none): the
 * page's PushManager hands out a subscription whose endpoint is the test's local push service.
 * "No longer pushed" is checked behind a later push that must come: the account registers a new
 * subscription from an IRC client afterwards, and with push.maxConcurrentRequests 1 the server
 * sends to an account's subscriptions in the order they were registered.
 */

const CONFIG = { push: { allowPrivateEndpoints: true, maxConcurrentRequests: 1 }, accounts: { alwaysOn: true } } as const;

interface BrowserTab {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly sent: string[];
  readonly received: string[];
}

describe("web client: signing out ends Web Push to the browser", () => {
  const scope = suiteScope();
  let web: WebServer;
  let browser: Browser;
  let endpoint: PushEndpoint;
  let bob: IrcLibClient;

  before(async () => {
    endpoint = await PushEndpoint.start();
    web = await startWebServer(scope, CONFIG);
    browser = await launchBrowser();
    for (const name of ["alice", "dana", "bob"]) await web.api.register(name);
    bob = await IrcLibClient.connect(web.ircPort, "bob", { account: { account: "bob", password: PASSWORD } });
  });

  after(async () => {
    await bob?.close();
    await browser?.close();
    await scope.run();
    await endpoint?.close();
    assert.deepEqual(endpoint.errors, [], "every push verified (VAPID) and decrypted");
  });

  /** A profile with notifications allowed, signed in as `account`: the app subscribes and registers by itself. */
  async function openTab(account: string, subscription: TestSubscription): Promise<BrowserTab> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    await context.addInitScript({ content: fakePushServiceScript(subscription) });
    await context.grantPermissions(["notifications"], { origin: web.url });
    const page = await context.newPage();
    const sent: string[] = [];
    const received: string[] = [];
    page.on("websocket", (socket) => {
      socket.on("framesent", ({ payload }) => sent.push(String(payload).replace(/\r?\n$/, "")));
      socket.on("framereceived", ({ payload }) => received.push(String(payload).replace(/\r?\n$/, "")));
    });
    await page.goto(web.url);
    await signIn(page, account, PASSWORD);
    await waitFor(() => received.find((line) => parseLine(line).command === "WEBPUSH" && parseLine(line).params.join(" ") === `REGISTER ${subscription.endpoint}`), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the server's WEBPUSH REGISTER reply on the page's /ws",
    });
    return { context, page, sent, received };
  }

  async function signOutWith(tab: BrowserTab, button: "Sign out" | "Sign out everywhere"): Promise<void> {
    await tab.page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Settings", exact: true }).click();
    await tab.page.getByRole("button", { name: button, exact: true }).click();
    await tab.page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  }

  async function browserSubscription(tab: BrowserTab): Promise<{ current: boolean; unsubscribed: number }> {
    return tab.page.evaluate(() => {
      const state = (globalThis as unknown as { fakePushService: FakePushServiceState }).fakePushService;
      return { current: state.current !== null, unsubscribed: state.unsubscribed };
    });
  }

  async function storedEndpoints(): Promise<string[]> {
    const store = await openHomeStore(web.home);
    return (await store.db.selectFrom("push_subscriptions").select("endpoint").execute()).map((row) => row.endpoint);
  }

  /** `account` registers a new subscription from IRC and leaves; bob's DM reaches it and never `before`. */
  async function assertNoLongerPushed(account: string, before: TestSubscription): Promise<void> {
    const later = endpoint.subscribe();
    const device = await IrcLibClient.connect(web.ircPort, account, { account: { account, password: PASSWORD }, caps: ["draft/webpush"] });
    device.client.raw(`WEBPUSH REGISTER ${later.endpoint} ${later.keys}`);
    await device.waitRaw(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /);
    await device.close();
    bob.client.say(account, `for ${account} only`);
    await later.waitForPush(new RegExp(`for ${account} only`), STEP_TIMEOUT_MS);
    assert.equal(before.requests, 0, "nothing pushed to the browser that signed out");
  }

  test("Sign out sends WEBPUSH UNREGISTER while still connected and ends the browser's subscription; DMs are no longer pushed to it", async () => {
    const subscription = endpoint.subscribe();
    const tab = await openTab("alice", subscription);
    assert.ok((await storedEndpoints()).includes(subscription.endpoint));

    await signOutWith(tab, "Sign out");
    assert.ok(tab.sent.includes(`WEBPUSH UNREGISTER ${subscription.endpoint}`), `the page said WEBPUSH UNREGISTER: ${tab.sent.filter((l) => /WEBPUSH|QUIT/.test(l)).join(" | ")}`);
    const unregisterAt = tab.sent.indexOf(`WEBPUSH UNREGISTER ${subscription.endpoint}`);
    assert.ok(tab.sent.slice(unregisterAt).some((line) => line.startsWith("QUIT")), "before the connection was ended");
    assert.ok(tab.received.some((line) => parseLine(line).command === "WEBPUSH" && parseLine(line).params.join(" ") === `UNREGISTER ${subscription.endpoint}`), "the server confirmed");
    assert.deepEqual(await browserSubscription(tab), { current: false, unsubscribed: 1 }, "the browser's push subscription was ended");
    assert.ok(!(await storedEndpoints()).includes(subscription.endpoint), "the server forgot it");
    await tab.context.close();
    await assertNoLongerPushed("alice", subscription);
  });

  test("Sign out everywhere deletes the account's subscriptions on the server and ends this browser's", async () => {
    const subscription = endpoint.subscribe();
    const tab = await openTab("dana", subscription);
    await signOutWith(tab, "Sign out everywhere");
    assert.deepEqual(await browserSubscription(tab), { current: false, unsubscribed: 1 }, "the browser's push subscription was ended");
    assert.ok(!(await storedEndpoints()).includes(subscription.endpoint), "the server forgot it");
    await tab.context.close();
    await assertNoLongerPushed("dana", subscription);
  });
});
