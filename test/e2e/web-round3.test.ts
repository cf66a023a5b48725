import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { sleep } from "../support/account-server.js";
import { conversationLink, messageItem, messageTexts } from "../support/browser.js";
import { RawClient } from "../support/raw-client.js";
import { webSuite } from "../support/web-suite.js";
import { waitFor } from "../support/wait.js";

const REFRESH = "**/api/v1/auth/refresh";

function connected(page: Page) {
  return page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ });
}

async function listText(page: Page): Promise<string> {
  return (await page.getByRole("navigation", { name: "Conversations" }).innerText()).replace(/\s+/g, " ");
}

/**
 * The web client, third round: who a direct message is really from (a guest holding a
 * registered account's nick is not that account), a closed conversation staying closed
 * across reloads, and a page loaded while the API is unreachable waiting for it to come back.
 */
describe("web client: impostors, closed conversations, an unreachable API at start", () => {
  const suite = webSuite(["alice", "bob", "carol", "dora"]);
  const { open, ircUser } = suite;

  test("a guest holding a registered account's nick does not write into the conversation with that account", async () => {
    const page = await open("alice");
    await connected(page).waitFor();
    const bob = await ircUser("bob", ["message-tags"]);
    bob.client.say("alice", "hello from the real bob");
    await conversationLink(page, "bob").click();
    await messageItem(page, "hello from the real bob").waitFor();
    await bob.close();
    await sleep(500);

    // The account's nick is free: a connection without an account takes it (the server renames it after a grace).
    const guest = await RawClient.register(suite.web.ircPort, "bob");
    const welcome = guest.lines.find((line) => / 001 /.test(line)) ?? "";
    assert.match(welcome, / 001 bob /, "the guest got the nick bob");
    guest.send("PRIVMSG alice :this is bob, new password please");

    // It arrives in a conversation of its own, said to be from someone not logged in.
    const impostor = conversationLink(page, "bob (not logged in)");
    await impostor.waitFor();
    await sleep(500);
    assert.deepEqual(await messageTexts(page), ["hello from the real bob"], "the guest's message is in the conversation with the account bob");
    await impostor.click();
    await messageItem(page, "this is bob, new password please").waitFor();
    await page.getByText("is not logged in", { exact: false }).first().waitFor();
    assert.ok((await page.getByRole("note").filter({ hasText: /not logged in/ }).count()) >= 1, "no accessible note says the sender is not logged in");
    guest.socket.destroy();

    // After a reload, the account's conversation (from the server's history) still holds only what the account wrote.
    await page.reload();
    await connected(page).waitFor();
    await conversationLink(page, "bob").click();
    await messageItem(page, "hello from the real bob").waitFor();
    await sleep(1000);
    assert.ok(!(await messageTexts(page)).includes("this is bob, new password please"), "the guest's message came back into bob's conversation after the reload");
  });

  test("a closed direct conversation stays closed after a reload, until a new message reopens it", async () => {
    const carol = await ircUser("carol");
    const page = await open("dora");
    await connected(page).waitFor();
    carol.client.say("dora", "hello from carol");
    await conversationLink(page, "carol").click();
    await messageItem(page, "hello from carol").waitFor();
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await conversationLink(page, "carol").waitFor({ state: "detached" });

    await page.reload();
    await connected(page).waitFor();
    await sleep(2000);
    assert.ok(!(await listText(page)).includes("carol"), `the closed conversation came back after a reload: ${await listText(page)}`);

    carol.client.say("dora", "are you there?");
    await conversationLink(page, "carol").waitFor();
    await page.reload();
    await connected(page).waitFor();
    await conversationLink(page, "carol").waitFor();
  });

  test("a page loaded while the API is unreachable says it is reconnecting and signs in once it answers", async () => {
    const page = await open("carol");
    await connected(page).waitFor();
    await page.route(REFRESH, (route) => route.abort("connectionrefused"));
    await page.reload();
    await page.getByRole("status").filter({ hasText: /reconnecting/i }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Sign in", exact: true }).count(), 0, "the sign-in form is shown while the API is unreachable");

    // A proxy's 502 while the server restarts: still waiting.
    await page.unroute(REFRESH);
    await page.route(REFRESH, (route) => route.fulfill({ status: 502, contentType: "text/html", body: "<h1>502 Bad Gateway</h1>" }));
    await sleep(2500);
    assert.equal(await page.getByRole("button", { name: "Sign in", exact: true }).count(), 0, "the sign-in form is shown on a 502");
    await page.getByRole("status").filter({ hasText: /reconnecting/i }).waitFor();

    await page.unroute(REFRESH);
    await waitFor(async () => (await connected(page).count()) > 0, { timeoutMs: 20_000, what: "the page to sign in once the API answers" });
    assert.ok(await page.evaluate("localStorage.getItem('cmy.refreshToken') !== null"), "the refresh token was dropped");
  });

  test("a refused refresh token at start shows the sign-in form at once", async () => {
    const page = await open("carol");
    await connected(page).waitFor();
    await page.route(REFRESH, (route) => route.fulfill({ status: 401, contentType: "application/problem+json", body: JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401 }) }));
    await page.reload();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor({ timeout: 5000 });
  });
});
