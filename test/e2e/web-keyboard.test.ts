import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { IrcLibClient } from "../support/account-server.js";
import { messageItem, messageTexts, STEP_TIMEOUT_MS, waitForFocus } from "../support/browser.js";
import { webSuite } from "../support/web-suite.js";
import { waitFor } from "../support/wait.js";

/**
 * The browser client from the keyboard and a screen reader: where the focus goes on a change
 * of conversation, how many Tab stops a long conversation costs and how to move among its
 * messages, and what a screen reader is told when a message arrives.
 */
describe("web client: keyboard and screen readers", () => {
  const suite = webSuite(["kira", "lars", "mira", "ned", "olga", "piet"]);
  const { ircUser } = suite;

  /** Narrower than the width at which the member list shows by itself: only the messages stand between box and header. */
  async function open(account: string): Promise<Page> {
    const page = await suite.open(account);
    await page.setViewportSize({ width: 900, height: 700 });
    return page;
  }

  async function joinFromDialog(page: Page, channel: string): Promise<void> {
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill(channel);
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: channel, level: 2 }).waitFor();
  }

  /** `texts` said in `channel` by `speaker`, all stored before the test goes on. */
  async function sayAll(speaker: IrcLibClient, channel: string, texts: string[]): Promise<void> {
    speaker.client.join(channel);
    await speaker.waitRaw(new RegExp(` 366 ${speaker.nick} ${channel} `));
    for (const text of texts) speaker.client.say(channel, text);
    const token = (await suite.web.api.login(speaker.nick)).body.tokens.accessToken;
    await waitFor(async () => (await suite.web.api.channelMessages(channel, token, "?limit=1")).body.messages?.[0]?.text === texts.at(-1), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: `the messages in ${channel} stored`,
    });
  }

  /** What has the focus, as a person hears it: a message's text, a button's name, the message box. */
  function focused(page: Page): Promise<string> {
    // A string: the test's tsconfig has no DOM types.
    return page.evaluate<string>(`(() => {
      const element = document.activeElement;
      if (!element || element === document.body) return "(body)";
      if (element.id === "composer-input") return "message box: " + element.placeholder;
      if (element.tagName === "LI") return "message: " + (element.querySelector(".text")?.textContent ?? "");
      const name = element.getAttribute("aria-label") ?? element.querySelector(".sr-only")?.textContent ?? element.textContent;
      return element.tagName.toLowerCase() + ": " + (name ?? "").trim();
    })()`);
  }

  async function focusedBecomes(page: Page, wanted: string, after: string): Promise<void> {
    let last = "";
    await waitFor(
      async () => {
        last = await focused(page);
        return last === wanted ? true : undefined;
      },
      { timeoutMs: STEP_TIMEOUT_MS, what: `the focus on "${wanted}" after ${after}` },
    ).catch(() => assert.fail(`after ${after} the focus is on "${last}", not "${wanted}"`));
  }

  test("a conversation opened with Ctrl+K, Alt+↓ or the dialogs has the focus in its message box", async () => {
    const page = await open("kira");
    await ircUser("lars");

    await joinFromDialog(page, "#kb-one");
    await focusedBecomes(page, "message box: Message #kb-one", "Join a channel");
    await joinFromDialog(page, "#kb-two");
    await focusedBecomes(page, "message box: Message #kb-two", "Join a channel again");

    await page.getByRole("button", { name: "Message someone" }).click();
    await page.getByRole("dialog").getByLabel("Account or nick").fill("lars");
    await page.getByRole("dialog").getByRole("button", { name: "Start conversation" }).click();
    await page.getByRole("heading", { name: "lars", level: 2 }).waitFor();
    await focusedBecomes(page, "message box: Message lars", "Message someone");

    await page.keyboard.press("Control+k");
    await page.getByRole("combobox", { name: "Go to conversation" }).fill("kb-one");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "#kb-one", level: 2 }).waitFor();
    await focusedBecomes(page, "message box: Message #kb-one", "Ctrl+K, Enter");

    // Down the list (channels, then direct conversations): #kb-one → #kb-two → lars.
    await page.keyboard.press("Alt+ArrowDown");
    await page.getByRole("heading", { name: "#kb-two", level: 2 }).waitFor();
    await focusedBecomes(page, "message box: Message #kb-two", "Alt+↓");
    await page.keyboard.press("Alt+ArrowDown");
    await page.getByRole("heading", { name: "lars", level: 2 }).waitFor();
    await focusedBecomes(page, "message box: Message lars", "Alt+↓ again");

    // The quick switcher to the conversation already open (from the list on the left): its box.
    await page.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: "lars", exact: true }).focus();
    await page.keyboard.press("Control+k");
    await page.getByRole("combobox", { name: "Go to conversation" }).fill("lars");
    await page.keyboard.press("Enter");
    await focusedBecomes(page, "message box: Message lars", "Ctrl+K, Enter to the open conversation");
    await page.context().close();
  });

  test("a long conversation is one Tab stop: ↑/↓/Home/End move between messages, Tab reaches the focused one's buttons", async () => {
    const mira = await ircUser("mira", ["message-tags"]);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    await sayAll(mira, "#long", lines);
    const page = await open("ned");
    await joinFromDialog(page, "#long");
    await waitFor(async () => ((await messageTexts(page)).length === 40 ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the 40 messages shown" });

    // From the message box back to the header: the newest message and its buttons, then Leave.
    await page.getByRole("textbox", { name: "Message" }).focus();
    const stops: string[] = [];
    while (stops.length < 12 && stops.at(-1) !== "button: Leave") {
      await page.keyboard.press("Shift+Tab");
      stops.push(await focused(page));
    }
    assert.deepEqual(stops, ["button: React to mira's message", "button: Reply to mira", "message: line 40", "button: Leave"], "the Tab stops between the message box and the header");

    // Into the list again with Tab: the newest message; then the arrows.
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "message: line 40");
    await page.keyboard.press("ArrowUp");
    assert.equal(await focused(page), "message: line 39");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    assert.equal(await focused(page), "message: line 37");
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(page), "message: line 38");
    await page.keyboard.press("Home");
    assert.equal(await focused(page), "message: line 1");
    assert.equal(await messageItem(page, "line 1").isVisible(), true, "the first message is not scrolled into view");
    await page.keyboard.press("End");
    assert.equal(await focused(page), "message: line 40");
    await page.keyboard.press("ArrowUp");

    // Tab from the focused message: its own buttons (named), then out of the list.
    const line39 = messageItem(page, "line 39");
    const msgid = await line39.getAttribute("data-msgid");
    assert.ok(msgid);
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "button: Reply to mira");
    assert.equal(await line39.getByRole("button", { name: "Reply to mira" }).evaluate((button) => button === button.ownerDocument.activeElement), true);
    const heard = mira.next<{ message: string; tags: Record<string, string> }>("privmsg", (e) => e.message === "answered from the keyboard");
    await page.keyboard.press("Enter");
    await page.getByText("Replying to mira").waitFor();
    await waitForFocus(page, "composer-input");
    await page.keyboard.type("answered from the keyboard");
    await page.keyboard.press("Enter");
    assert.equal((await heard).tags["+draft/reply"], msgid);

    // The message moved to stays the list's stop.
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "message: line 39");
    await page.context().close();
  });

  test("new messages from others are read out by a live region; the history loaded is not", async () => {
    const piet = await ircUser("piet");
    const history = Array.from({ length: 60 }, (_, i) => `old news ${i + 1}`);
    await sayAll(piet, "#live", history);
    const page = await open("olga");
    await joinFromDialog(page, "#live");
    await waitFor(async () => ((await messageTexts(page)).at(-1) === "old news 60" ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the newest page shown" });

    const log = page.getByRole("log");
    assert.equal(await log.count(), 1, "no live region (role=log) reads out new messages");
    const heard = async (): Promise<string> => (await log.textContent()) ?? "";

    // Scrolled to the top: the older page goes in above, unannounced.
    await page.locator(".messages-scroller").evaluate((el) => (el.scrollTop = 0));
    await waitFor(async () => ((await messageTexts(page)).length === 60 ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the older page shown" });
    await page.locator(".messages-scroller").evaluate((el) => (el.scrollTop = el.scrollHeight));

    piet.client.say("#live", "fresh news");
    piet.client.raw("PRIVMSG #live :\x01ACTION waves\x01");
    await waitFor(async () => ((await heard()).includes("piet waves") ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the new messages announced" });
    const said = await heard();
    assert.match(said, /piet: fresh news/);
    assert.doesNotMatch(said, /old news/, "the history was read out");

    // What one writes oneself is not read back.
    await page.getByRole("textbox", { name: "Message" }).fill("my own words");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    await messageItem(page, "my own words").waitFor();
    piet.client.say("#live", "after yours");
    await waitFor(async () => ((await heard()).includes("piet: after yours") ? true : undefined), { timeoutMs: STEP_TIMEOUT_MS, what: "the next message announced" });
    assert.doesNotMatch(await heard(), /my own words/);
    await page.context().close();
  });
});
