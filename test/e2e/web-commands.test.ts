import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { IrcLibClient } from "../support/account-server.js";
import { conversationLink, STEP_TIMEOUT_MS, unreadCount } from "../support/browser.js";
import { webSuite } from "../support/web-suite.js";
import { waitFor } from "../support/wait.js";

/**
 * The browser client's slash commands and what it keeps across page loads: unread counts
 * of direct messages said while no page was open, `/topic` and `/part` as IRC clients
 * read them, typing in a channel that refuses it, and a direct conversation whose other
 * side changed nick. Real Chromium against the real server, people on IRC on the other side.
 */
describe("web client: commands and what a page load keeps", () => {
  const suite = webSuite(["amos", "bea", "cleo", "dirk", "edda", "fitz", "gus", "hana", "ines", "jorn", "kai", "lux"]);
  const { open, ircUser } = suite;

  /** Joins `channel` from the page's dialog and waits until it is on screen. */
  async function join(page: Page, channel: string): Promise<void> {
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill(channel);
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: channel, level: 2 }).waitFor();
  }

  async function type(page: Page, text: string): Promise<void> {
    await page.getByRole("textbox", { name: "Message" }).fill(text);
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
  }

  /** The badge beside a conversation's name ("" when none). */
  async function badge(page: Page, name: string): Promise<string> {
    const shown = conversationLink(page, name).locator(".badge");
    return (await shown.count()) === 0 ? "" : shown.innerText();
  }

  async function stored(account: string, withNick: string, text: string): Promise<void> {
    const token = (await suite.web.api.login(account)).body.tokens.accessToken;
    await waitFor(async () => (await suite.web.api.dmMessages(withNick, token, "?limit=5")).body.messages?.some((m) => m.text === text), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: `"${text}" stored`,
    });
  }

  test("direct messages said while no page was open are unread after signing in, and stay unread across a reload", async () => {
    const bea = await ircUser("bea");
    bea.client.say("amos", "are you there");
    await stored("amos", "bea", "are you there");

    const page = await open("amos");
    await waitFor(async () => (await unreadCount(page, "bea")) === 1, { timeoutMs: STEP_TIMEOUT_MS, what: "1 unread from bea after signing in" });
    assert.equal(await badge(page, "bea"), "1");
    await waitFor(async () => (await page.title()) === "(1) CmyMessage", { timeoutMs: STEP_TIMEOUT_MS, what: "the count in the title" });

    // Nothing was read anywhere: a reload counts it again.
    await page.reload();
    await waitFor(async () => (await unreadCount(page, "bea")) === 1, { timeoutMs: STEP_TIMEOUT_MS, what: "1 unread from bea after the reload" });
    await page.context().close();
  });

  test("a first direct message counts as exactly 1, with the page open and after a reload", async () => {
    const page = await open("cleo");
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    const dirk = await ircUser("dirk");
    dirk.client.say("cleo", "a first word");
    await waitFor(async () => (await badge(page, "dirk")) === "1", { timeoutMs: STEP_TIMEOUT_MS, what: `dirk's badge "1" (not "1+")` });
    assert.equal(await unreadCount(page, "dirk"), 1);

    await page.reload();
    await waitFor(async () => (await unreadCount(page, "dirk")) === 1, { timeoutMs: STEP_TIMEOUT_MS, what: "still 1 unread from dirk after the reload" });
    assert.equal(await badge(page, "dirk"), "1");
    await page.context().close();
  });

  test("/topic alone shows the topic and changes nothing; /topic -delete removes it; the notice leaves the Send button free", async () => {
    const fitz = await ircUser("fitz");
    fitz.client.join("#topics");
    await fitz.waitRaw(/ 366 fitz #topics /);
    fitz.client.raw("TOPIC #topics :plans for the week");
    await fitz.waitRaw(/ TOPIC #topics :plans for the week/);
    const page = await open("edda");
    await join(page, "#topics");
    await page.locator(".conversation-header .topic").getByText("plans for the week").waitFor();

    // An operator: a TOPIC from the page would take effect.
    fitz.client.raw("MODE #topics +o edda");
    await fitz.waitRaw(/ MODE #topics \+o edda/, STEP_TIMEOUT_MS);

    await type(page, "/topic");
    // Nothing was sent in its place: what is said next arrives with no TOPIC before it.
    const heard = fitz.next<{ message: string }>("privmsg", (e) => e.message === "after asking for the topic", STEP_TIMEOUT_MS);
    await type(page, "after asking for the topic");
    await heard;
    assert.deepEqual(
      fitz.raw.filter((line) => / TOPIC #topics/.test(line)),
      [],
      "a bare /topic changed the topic",
    );
    fitz.client.raw("TOPIC #topics");
    await fitz.waitRaw(/ 332 fitz #topics :plans for the week/, STEP_TIMEOUT_MS);
    const notice = page.locator(".notice").filter({ hasText: "Topic of #topics: plans for the week" });
    await notice.waitFor();

    // The notice is not over the button the user is about to press.
    const send = await page.getByRole("button", { name: "Send" }).boundingBox();
    const box = await notice.boundingBox();
    assert.ok(send && box);
    const overlaps = box.x < send.x + send.width && send.x < box.x + box.width && box.y < send.y + send.height && send.y < box.y + box.height;
    assert.equal(overlaps, false, `the notice ${JSON.stringify(box)} covers the Send button ${JSON.stringify(send)}`);

    await type(page, "/topic -delete");
    await fitz.waitRaw(/:edda!\S+ TOPIC #topics :$/, STEP_TIMEOUT_MS);
    await page.locator(".conversation-header .topic").waitFor({ state: "detached" });
    await page.context().close();
  });

  test("/part #other parts that channel, with the reason, and leaves the one on screen", async () => {
    const hana = await ircUser("hana");
    for (const channel of ["#stay", "#other"]) {
      hana.client.join(channel);
      await hana.waitRaw(new RegExp(` 366 hana ${channel} `));
    }
    const page = await open("gus");
    await join(page, "#other");
    await join(page, "#stay");

    await type(page, "/part #other see you later");
    const parted = await hana.waitRaw(/:gus!\S+ PART #other/, STEP_TIMEOUT_MS);
    assert.match(parted, / PART #other :?see you later$/);
    await conversationLink(page, "#other").waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "#stay", level: 2 }).waitFor();
    assert.equal(await conversationLink(page, "#stay").count(), 1);
    assert.equal(hana.raw.filter((line) => / PART #stay/.test(line)).length, 0, "the channel on screen was parted");

    // Without a channel, the words are the reason for leaving the one on screen.
    await type(page, "/part time to go");
    assert.match(await hana.waitRaw(/:gus!\S+ PART #stay/, STEP_TIMEOUT_MS), / PART #stay :?time to go$/);
    await page.context().close();
  });

  test("typing in a moderated channel shows no error every few seconds", async () => {
    const jorn = await ircUser("jorn");
    jorn.client.join("#quiet");
    await jorn.waitRaw(/ 366 jorn #quiet /);
    const page = await open("ines");
    await join(page, "#quiet");
    jorn.client.raw("MODE #quiet +m");
    await jorn.waitRaw(/ MODE #quiet \+m/, STEP_TIMEOUT_MS);
    await page.waitForTimeout(500);

    // Long enough for three +typing notifications (one every 3 s at most).
    const box = page.getByRole("textbox", { name: "Message" });
    for (const word of ["waiting ", "for ", "a ", "voice ", "to ", "speak"]) {
      await box.pressSequentially(word);
      await page.waitForTimeout(1300);
    }
    assert.deepEqual(await page.locator(".notice").allInnerTexts(), [], "errors shown while the user only typed");
    await page.context().close();
  });

  /** The direct conversations in the list, by name. */
  async function directNames(page: Page): Promise<string[]> {
    return page.getByRole("list", { name: "Direct messages" }).locator(".conversation-name").allInnerTexts();
  }

  /** After a (re)load: connected, and a moment for the conversations with news (TARGETS) to be listed. */
  async function settled(page: Page): Promise<void> {
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor();
    await page.waitForTimeout(1500);
  }

  test("a direct conversation that followed a nick change is listed once after a reload, also when the page was left on it", async () => {
    const page = await open("kai");
    const lux = await ircUser("lux");
    lux.client.say("kai", "hello before the new nick");
    await conversationLink(page, "lux").click();
    await page.getByRole("list", { name: "Messages" }).getByText("hello before the new nick").waitFor();
    lux.client.changeNick("lux_away");
    await page.getByRole("heading", { name: "lux_away", level: 2 }).waitFor();

    // Reloaded on the renamed conversation's address: one conversation with lux, the history in it.
    await page.reload();
    await page.getByRole("list", { name: "Messages" }).getByText("hello before the new nick").waitFor();
    await settled(page);
    const listed = await directNames(page);
    assert.equal(listed.filter((name) => name === "lux" || name === "lux_away").length, 1, `listed: ${listed.join(", ")}`);
    const heard = lux.next<{ message: string }>("privmsg", (e) => e.message === "still there?", STEP_TIMEOUT_MS);
    await type(page, "still there?");
    await heard;

    // And reloaded elsewhere.
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    await page.reload();
    await settled(page);
    const again = await directNames(page);
    assert.equal(again.filter((name) => name === "lux" || name === "lux_away").length, 1, `listed: ${again.join(", ")}`);
    await page.context().close();
  });
});
