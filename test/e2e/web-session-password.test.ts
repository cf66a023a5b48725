import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { sleep } from "../support/account-server.js";
import { signIn, STEP_TIMEOUT_MS } from "../support/browser.js";
import { PASSWORD } from "../support/http-client.js";
import { webSuite } from "../support/web-suite.js";

/** How late the answer to PUT /api/v1/me/password reaches the page: a slow link. */
const ANSWER_DELAY_MS = 1_000;
const NEW_PASSWORD = "a brand new pass phrase 42";

/**
 * Changing the password from the browser client on a slow link. The server revokes every refresh
 * token and ends the account's connections (this tab's /ws too) before its answer, which carries
 * this device's new session, arrives; the tab reconnects meanwhile with its old access token
 * (refused since the change) and would refresh with the revoked refresh token. It must wait for
 * the answer instead: the tab, and another tab of the same browser, stay signed in.
 */
describe("web client: changing the password on a slow link", () => {
  const suite = webSuite(["pat"]);

  function connected(page: Page) {
    return page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ });
  }

  test("the answer arriving late: the success shows, and this tab and another stay signed in and connected", async () => {
    const context = await suite.browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await signIn(page, "pat", PASSWORD);
    await connected(page).waitFor();
    // Another tab of the browser, on the session stored by the first.
    const other = suite.watch(await context.newPage());
    await other.goto(suite.web.url);
    await connected(other).waitFor();

    await page.route("**/api/v1/me/password", async (route) => {
      const answer = await route.fetch(); // the server has changed the password now
      await sleep(ANSWER_DELAY_MS);
      await route.fulfill({ response: answer });
    });
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();

    await page.getByRole("status").filter({ hasText: "Password changed. Your other devices have been signed out." }).waitFor();
    // Both tabs' connections were ended by the change; both come back logged in with the new session.
    for (const tab of [page, other]) {
      await connected(tab).waitFor({ timeout: 30_000 });
      assert.equal(await tab.getByRole("button", { name: "Sign in", exact: true }).count(), 0, "signed out");
    }
    await sleep(1_500);
    for (const tab of [page, other]) {
      assert.equal(await tab.getByRole("button", { name: "Sign in", exact: true }).count(), 0, "signed out a little later");
      await connected(tab).waitFor();
    }
    // The session the device stored is the new one: it survives a reload.
    await page.reload();
    await connected(page).waitFor();
    assert.equal((await suite.web.api.login("pat", NEW_PASSWORD)).status, 200, "the new password logs in");
    await context.close();
  });
});
