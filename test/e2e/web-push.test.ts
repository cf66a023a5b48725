import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { suiteScope } from "../support/account-server.js";
import { conversationLink, launchBrowser, signIn, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { FrameworkClient } from "../support/framework-client.js";
import { PASSWORD } from "../support/http-client.js";
import { parseLine } from "../support/irc-lines.js";
import { fakePushServiceScript, type FakePushServiceState } from "../support/fake-push-service.js";
import { PushEndpoint, type TestSubscription } from "../support/push-endpoint.js";
import { waitFor } from "../support/wait.js";

/**
 * Web Push from the browser client to a closed tab, end to end: real Chromium signs in, turns
 * notifications on, and the app subscribes and sends `WEBPUSH REGISTER` over /ws; once the tab is
 * closed, an irc-framework user's direct message and channel mention reach a local push service
 * (test/support/push-endpoint.ts) that verifies the VAPID signature and decrypts each into the
 * IRC line.
 *
 * The one thing faked is the browser's push service, which headless Chromium on an offline machine
 * does not have: `PushManager.prototype.subscribe`/`getSubscription` hand the app a subscription
 * whose endpoint is the local service and whose keys are the test's (it keeps the private key).
 *
 * What must not be pushed (a message without a mention, a DM while the tab is connected) is checked
 * behind a later push that must come: the server decides in message order and, with
 * push.maxConcurrentRequests 1, sends in that order, so a push that should not exist would have
 * arrived first.
 */

/** Push to the test's own http endpoint on loopback, one request at a time; accounts stay present with no tab open. */
const CONFIG = { push: { allowPrivateEndpoints: true, maxConcurrentRequests: 1 }, accounts: { alwaysOn: true } } as const;

interface BrowserTab {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every line the page received over /ws, in order. */
  readonly received: string[];
}

describe("web client: Web Push with no tab open", () => {
  const scope = suiteScope();
  let web: WebServer;
  let browser: Browser;
  let endpoint: PushEndpoint;
  let bob: FrameworkClient;

  before(async () => {
    endpoint = await PushEndpoint.start();
    web = await startWebServer(scope, CONFIG);
    browser = await launchBrowser();
    for (const name of ["alice", "dana"]) await web.api.register(name);
    bob = await FrameworkClient.connect(web.ircPort, "bob");
  });

  after(async () => {
    await bob?.close();
    await browser?.close();
    await scope.run();
    await endpoint?.close();
    assert.deepEqual(endpoint.errors, [], "every push verified (VAPID) and decrypted");
  });

  /** A fresh profile whose push service is the local endpoint, signed in as `account`. */
  async function openTab(account: string, subscription: TestSubscription, options: { notificationsAllowed: boolean }): Promise<BrowserTab> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    await context.addInitScript({ content: fakePushServiceScript(subscription) });
    if (options.notificationsAllowed) await context.grantPermissions(["notifications"], { origin: web.url });
    const page = await context.newPage();
    const received: string[] = [];
    page.on("websocket", (socket) => socket.on("framereceived", ({ payload }) => received.push(String(payload).replace(/\r?\n$/, ""))));
    await page.goto(web.url);
    await signIn(page, account, PASSWORD);
    return { context, page, received };
  }

  /** The server's answer to the page's WEBPUSH REGISTER: the subscription is stored for this connection. */
  function registered(tab: BrowserTab, subscription: TestSubscription): Promise<string> {
    return waitFor(() => tab.received.find((line) => parseLine(line).command === "WEBPUSH" && parseLine(line).params.join(" ") === `REGISTER ${subscription.endpoint}`), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the server's WEBPUSH REGISTER reply on the page's /ws",
    });
  }

  /** Closes the tab's whole profile and waits until the server shows the account as not connected. */
  async function closeTab(tab: BrowserTab, nick: string): Promise<void> {
    await tab.context.close();
    const away = await bob.waitFor("away", (event) => event.nick === nick, STEP_TIMEOUT_MS);
    assert.equal(away.message, "Not connected (always-on)");
  }

  /** The target, text and sender nick of each push received, in order. */
  function pushed(subscription: TestSubscription): Array<{ target: string; text: string; from: string }> {
    return subscription.received.map((push) => {
      const line = parseLine(push.text);
      assert.equal(line.command, "PRIVMSG");
      return { target: line.params[0]!, text: line.params[1]!, from: line.source.split("!")[0]! };
    });
  }

  test("turned on in Settings, a closed tab gets a DM and a channel mention by push (decrypted IRC lines); other channel talk is not pushed", async () => {
    const subscription = endpoint.subscribe();
    const tab = await openTab("alice", subscription, { notificationsAllowed: false });
    await tab.page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Settings", exact: true }).click();
    const turnOn = tab.page.getByRole("group", { name: "Notifications" }).getByRole("button", { name: "Turn on notifications" });
    await turnOn.waitFor();
    // The user answers "Allow" to the browser's question that the button brings up.
    await tab.context.grantPermissions(["notifications"], { origin: web.url });
    await turnOn.click();
    await registered(tab, subscription);
    await tab.page.getByRole("status").filter({ hasText: "and by push when no tab is open." }).waitFor();
    const subscribedWith = await tab.page.evaluate(() => (globalThis as unknown as { fakePushService: FakePushServiceState }).fakePushService.applicationServerKey);
    const isupportVapid = tab.received.map((line) => /^:\S+ 005 .*\bVAPID=([A-Za-z0-9_-]+)/.exec(line)?.[1]).find((key) => key !== undefined);
    assert.equal(subscribedWith, isupportVapid, "the app subscribed with the server's ISUPPORT VAPID key");
    assert.equal(subscription.requests, 0, "nothing pushed while the tab is open");

    await closeTab(tab, "alice");
    bob.client.say("#general", "lunch anyone? (not for malice)");
    bob.client.say("#general", "ALICE: the build is green");
    bob.client.say("alice", "are you there?");
    await subscription.waitForPush(/are you there\?/, STEP_TIMEOUT_MS);
    assert.deepEqual(pushed(subscription), [
      { target: "#general", text: "ALICE: the build is green", from: "bob" },
      { target: "alice", text: "are you there?", from: "bob" },
    ]);
    assert.equal(subscription.received[0]!.vapidKey, subscribedWith, "signed with the key the app subscribed with");
  });

  test("while the tab is connected a DM is not pushed; once it is closed, the next one is", async () => {
    const subscription = endpoint.subscribe();
    // Notifications already allowed: the app subscribes and registers on its own when it connects.
    const tab = await openTab("dana", subscription, { notificationsAllowed: true });
    await registered(tab, subscription);

    bob.client.say("dana", "you are online");
    await conversationLink(tab.page, "bob").waitFor({ state: "attached" });
    await closeTab(tab, "dana");
    bob.client.say("dana", "now you are not");
    await subscription.waitForPush(/now you are not/, STEP_TIMEOUT_MS);
    assert.deepEqual(pushed(subscription), [{ target: "dana", text: "now you are not", from: "bob" }]);
  });
});
