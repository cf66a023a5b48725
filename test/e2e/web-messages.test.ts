import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import type { IrcLibClient } from "../support/account-server.js";
import { messageItem, waitForFocus } from "../support/browser.js";
import { webSuite } from "../support/web-suite.js";

/**
 * How the browser client shows what people write and name, and lets one act on it: the
 * message buttons from the keyboard, IRC formatting codes, and links and file names whose
 * direction controls would otherwise reorder what is on screen.
 */
describe("web client: messages and names as shown", () => {
  const suite = webSuite(["rita", "sam", "vera", "walt", "xena", "yuri"]);
  const { open, ircUser } = suite;
  let zoeToken: string;

  before(async () => {
    zoeToken = (await suite.web.api.register("zoe")).tokens.accessToken;
  });

  /** `account`'s page with `channel` open, which `other` (on IRC) is in too. */
  async function inChannel(account: string, other: IrcLibClient, channel: string): Promise<Page> {
    other.client.join(channel);
    await other.waitRaw(new RegExp(` 366 ${other.nick} ${channel} `));
    const page = await open(account);
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill(channel);
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: channel, level: 2 }).waitFor();
    return page;
  }

  async function isFocused(locator: Locator): Promise<boolean> {
    return (await locator.and(locator.page().locator(":focus")).count()) === 1;
  }

  /**
   * The characters of `locator`'s text (one line) in the order they stand on screen, left
   * to right: what the eye reads once the browser has applied the text's direction, which
   * innerText (the order they are written in) does not tell.
   */
  function onScreen(locator: Locator): Promise<string> {
    return locator.evaluate((element) => {
      const document = element.ownerDocument;
      const seen: Array<{ char: string; x: number }> = [];
      const SHOW_TEXT = 4;
      const walker = document.createTreeWalker(element, SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const data = node.nodeValue ?? "";
        for (let i = 0; i < data.length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const box = range.getBoundingClientRect();
          if (box.width > 0) seen.push({ char: data[i]!, x: box.left + box.width / 2 });
        }
      }
      return seen
        .sort((a, b) => a.x - b.x)
        .map((c) => c.char)
        .join("");
    });
  }

  test("Tab from the messages reaches a message's Reply button, shown when focused, and Enter replies", async () => {
    const sam = await ircUser("sam", ["message-tags"]);
    const page = await inChannel("rita", sam, "#keys");
    sam.client.say("#keys", "reply to me without a mouse");
    const message = messageItem(page, "reply to me without a mouse");
    await message.waitFor();
    const msgid = await message.getAttribute("data-msgid");
    assert.ok(msgid);

    await page.locator(".messages-scroller").focus();
    await page.keyboard.press("Tab");
    const reply = message.getByRole("button", { name: "Reply to sam" });
    assert.equal(await isFocused(reply), true, "Tab from the list of messages did not reach the Reply button");
    assert.equal(await message.locator(".message-actions").evaluate((actions) => actions.ownerDocument.defaultView!.getComputedStyle(actions).opacity), "1", "the focused buttons are not shown");

    const heard = sam.next<{ message: string; tags: Record<string, string> }>("privmsg", (e) => e.message === "typed without a mouse");
    await page.keyboard.press("Enter");
    await page.getByText("Replying to sam").waitFor();
    // The box takes the focus once the reply is shown; keys typed before that go elsewhere.
    await waitForFocus(page, "composer-input");
    await page.keyboard.type("typed without a mouse");
    await page.keyboard.press("Enter");
    assert.equal((await heard).tags["+draft/reply"], msgid);
    await page.context().close();
  });

  test("IRC formatting codes are drawn as styles and colours, never shown as characters; links inside still work", async () => {
    const walt = await ircUser("walt");
    const page = await inChannel("vera", walt, "#fmt");
    // Straight from an IRC client: bold, colours with a background, italics, underline, strikethrough,
    // monospace, reverse, a hex colour, a reset, and a link with a style starting inside it.
    walt.client.raw("PRIVMSG #fmt :\x02bold\x02 \x0304,01red on black\x03 \x1ditalic\x1d \x1funder\x1f \x1estrike\x1e \x11mono\x11 \x16rev\x16 \x04FF00FFhex\x04 \x02\x1dboth\x0f plain https://example.com/\x02a\x02b end");
    walt.client.raw("TOPIC #fmt :\x02Welcome\x02 to \x0303green\x03 https://example.com/topic");
    const message = page.getByRole("list", { name: "Messages" }).locator(":scope > li", { hasText: "plain" });
    await message.waitFor();
    const text = message.locator(".text");
    assert.equal(await text.innerText(), "bold red on black italic under strike mono rev hex both plain https://example.com/ab end");
    assert.doesNotMatch((await text.textContent()) ?? "", /[\x00-\x1f]/, "control characters in what assistive technology reads");

    const styled = async (selector: string): Promise<string> => text.locator(selector).first().innerText();
    assert.equal(await styled(".irc-bold"), "bold");
    assert.equal(await styled(".irc-fg-4.irc-bg-1"), "red on black");
    assert.equal(await styled(".irc-italic"), "italic");
    assert.equal(await styled(".irc-underline"), "under");
    assert.equal(await styled(".irc-strike"), "strike");
    assert.equal(await styled(".irc-mono"), "mono");
    assert.equal(await styled(".irc-reverse"), "rev");
    assert.equal(await styled(".irc-bold.irc-italic"), "both");
    const look = (selector: string, property: "fontWeight" | "color" | "backgroundColor" | "fontStyle") =>
      text.locator(selector).first().evaluate((element, name) => element.ownerDocument.defaultView!.getComputedStyle(element)[name], property);
    assert.equal(await look(".irc-bold", "fontWeight"), "700");
    assert.equal(await look(".irc-fg-4", "color"), "rgb(255, 0, 0)");
    assert.equal(await look(".irc-fg-4", "backgroundColor"), "rgb(0, 0, 0)");
    assert.equal(await look(".irc-italic", "fontStyle"), "italic");

    // The link is the whole URL, the bold part in it included.
    const link = text.getByRole("link");
    assert.equal(await link.getAttribute("href"), "https://example.com/ab");
    assert.equal(await link.innerText(), "https://example.com/ab");
    assert.equal(await link.locator(".irc-bold").innerText(), "a");

    const topic = page.locator(".conversation-header .topic");
    await topic.waitFor();
    assert.equal(await topic.innerText(), "Welcome to green https://example.com/topic");
    assert.equal(await topic.getAttribute("title"), "Welcome to green https://example.com/topic");
    assert.equal(await topic.locator(".irc-fg-3").innerText(), "green");
    assert.equal(await topic.getByRole("link").getAttribute("href"), "https://example.com/topic");
    await page.context().close();
  });

  test("direction controls cannot disguise a link or reverse the words after it", async () => {
    const yuri = await ircUser("yuri");
    const page = await inChannel("xena", yuri, "#bidi");
    // U+202E (right-to-left override) would show the link as ".../exe.png" and the rest backwards.
    yuri.client.say("#bidi", "look https://example.com/\u202Egnp.exe and the rest");
    const message = page.getByRole("list", { name: "Messages" }).locator(":scope > li", { hasText: "and the rest" });
    await message.waitFor();
    const link = message.getByRole("link");
    assert.equal(await link.getAttribute("href"), "https://example.com/%E2%80%AEgnp.exe");
    const linkOnScreen = await onScreen(link);
    assert.doesNotMatch(linkOnScreen, /exe\.png/, "the link reads as a picture");
    assert.equal(linkOnScreen, "https://example.com/U+202Egnp.exe", "the override is shown, not obeyed");
    assert.equal(await onScreen(message.locator(".text")), "look https://example.com/U+202Egnp.exe and the rest", "the words after the link are reversed");
    await page.context().close();
  });

  test("a direction control in a file name is shown, not obeyed: the name reads as it is", async () => {
    const name = "invoice\u202Efdp.exe";
    const upload = await suite.web.api.request("PUT", `/api/v1/files/content?path=${encodeURIComponent(`/${name}`)}`, { token: zoeToken, raw: "not a pdf", headers: { "content-type": "application/octet-stream" } });
    assert.equal(upload.status, 201, upload.text);
    const page = await open("zoe");
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Files", exact: true }).click();
    const entry = page.getByRole("list", { name: "Files" }).locator(".files-entry-name").first();
    await entry.waitFor();
    const entryOnScreen = await onScreen(entry);
    assert.doesNotMatch(entryOnScreen, /exe\.pdf/, "the program reads as a PDF");
    assert.equal(entryOnScreen, "invoiceU+202Efdp.exe");
    await page.context().close();
  });
});
