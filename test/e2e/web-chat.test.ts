import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { IrcLibClient } from "../support/account-server.js";
import { PASSWORD } from "../support/http-client.js";
import { conversationLink, messageItem, messageTexts, seriousAccessibilityFindings, signIn, signedInPage, STEP_TIMEOUT_MS, unreadCount } from "../support/browser.js";
import { webSuite } from "../support/web-suite.js";
import { waitFor } from "../support/wait.js";

/**
 * The browser client end to end: real Chromium against the real server, people on IRC
 * (irc-framework) on the other side. Each test uses its own accounts and channels.
 */
describe("web client in Chromium", () => {
  const suite = webSuite(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry", "ivy", "judy", "kate", "leo", "mona", "otto", "nina", "paul", "quinn", "rosa", "stan"]);
  const { open, ircUser } = suite;

  async function textsNow(page: Page, wanted: (texts: string[]) => boolean, what: string): Promise<string[]> {
    return waitFor(
      async () => {
        const texts = await messageTexts(page);
        return wanted(texts) ? texts : undefined;
      },
      { timeoutMs: STEP_TIMEOUT_MS, what },
    );
  }

  test("the sign-in view has no serious accessibility problem, and a wrong password is refused", async () => {
    const context = await suite.browser.newContext();
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    assert.deepEqual(await seriousAccessibilityFindings(page), []);
    await page.getByLabel("Account").fill("alice");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong account name or password" }).waitFor();
    await context.close();
  });

  test("talks with an IRC user both ways in #general and in a direct conversation", async () => {
    const page = await open("alice");
    const bob = await ircUser("bob");
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();

    // IRC → browser, in the channel.
    bob.client.say("#general", "hello alice, from irc");
    await page.getByRole("list", { name: "Messages" }).getByText("hello alice, from irc").waitFor();

    // browser → IRC, in the channel.
    const heard = bob.next<{ target: string; message: string; nick: string }>("privmsg", (e) => e.message === "hi bob, from the browser");
    await page.getByRole("textbox", { name: "Message" }).fill("hi bob, from the browser");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    const inChannel = await heard;
    assert.equal(inChannel.target, "#general");
    assert.equal(inChannel.nick, "alice");

    // IRC → browser, directly: the conversation appears in the list, named after bob.
    bob.client.say("alice", "a word in private");
    await conversationLink(page, "bob").click();
    await page.getByRole("heading", { name: "bob", level: 2 }).waitFor();
    await page.getByRole("list", { name: "Messages" }).getByText("a word in private").waitFor();

    // browser → IRC, directly.
    const privately = bob.next<{ target: string; message: string; nick: string }>("privmsg", (e) => e.message === "and one back");
    await page.getByRole("textbox", { name: "Message" }).fill("and one back");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    const direct = await privately;
    assert.equal(direct.target, "bob");
    assert.equal(direct.nick, "alice");
    // Our own message is shown once, confirmed by the server (no "Sending…" left).
    await textsNow(page, (texts) => texts.filter((t) => t === "and one back").length === 1, "the sent message shown once");
    await page.getByText("Sending…").waitFor({ state: "detached" });

    await conversationLink(page, "#general").click();
    await page.getByRole("list", { name: "Messages" }).getByText("hello alice, from irc").waitFor();
    assert.deepEqual(await seriousAccessibilityFindings(page), []);
    await page.context().close();
  });

  test("scrolls back through 500 messages: every one reachable, in order, none twice", async () => {
    const carol = await ircUser("carol");
    carol.client.join("#history");
    await carol.waitRaw(/ 366 carol #history /);
    for (let i = 1; i <= 500; i++) carol.client.say("#history", `history message ${i}`);
    const token = (await suite.web.api.login("carol")).body.tokens.accessToken;
    await waitFor(async () => (await suite.web.api.channelMessages("#history", token, "?limit=1")).body.messages?.[0]?.text === "history message 500", {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the 500 messages stored",
    });

    const page = await open("dave");
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill("#history");
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: "#history", level: 2 }).waitFor();
    await textsNow(page, (texts) => texts.at(-1) === "history message 500", "the newest page");

    const scroller = page.locator(".messages-scroller");
    const beginning = page.getByText("This is the beginning of the conversation.");
    // Scroll to the top until the start of the conversation shows; each page must add messages.
    let shown = (await messageTexts(page)).length;
    while (!(await beginning.isVisible())) {
      await scroller.evaluate((el) => (el.scrollTop = 0));
      shown = await waitFor(
        async () => {
          const count = (await messageTexts(page)).length;
          return count > shown || (await beginning.isVisible()) ? count : undefined;
        },
        { timeoutMs: STEP_TIMEOUT_MS, what: `an older page (after ${shown} messages)` },
      );
    }
    const texts = await messageTexts(page);
    assert.equal(texts.length, 500);
    assert.deepEqual(
      texts,
      Array.from({ length: 500 }, (_, i) => `history message ${i + 1}`),
    );
    // Scrolling up kept the reader's place: the top of the list is on screen, not thrown to the bottom.
    assert.equal(await page.getByText("history message 1", { exact: true }).isVisible(), true);
    await page.context().close();
  });

  test("a channel joined while the page is still signing in to IRC is joined once it is ready", async () => {
    const paul = await ircUser("paul");
    paul.client.join("#early");
    await paul.waitRaw(/ 366 paul #early /);

    // The server's lines to the page are held until the user has asked to join: the request is
    // made while the page is still registering, as on a slow network or a busy server.
    const context = await suite.browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Released by the test once Join was clicked, whether or not the page's socket was routed yet.
    let released = false;
    const held: Array<() => void> = [];
    const release = (): void => {
      released = true;
      for (const send of held.splice(0)) send();
    };
    await context.routeWebSocket(/\/ws$/, (route) => {
      const server = route.connectToServer();
      server.onMessage((message) => (released ? route.send(message) : held.push(() => route.send(message))));
    });
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await signIn(page, "quinn", PASSWORD);
    await page.getByRole("status").filter({ hasText: "Connecting" }).waitFor();
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill("#early");
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    const joined = paul.next<{ nick: string; channel: string }>("join", (e) => e.nick === "quinn" && e.channel === "#early", STEP_TIMEOUT_MS);
    release();

    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor();
    await page.getByRole("heading", { name: "#early", level: 2 }).waitFor();
    await joined;
    paul.client.say("#early", "you made it");
    await page.getByRole("list", { name: "Messages" }).getByText("you made it").waitFor();
    await context.close();
  });

  test("unread counts follow what the account's other devices read", async () => {
    const page = await open("erin");
    await conversationLink(page, "#general").click();
    const frank = await ircUser("frank");

    // Direct messages to erin while she looks at #general: 3 unread.
    for (const text of ["one", "two", "three"]) frank.client.say("erin", text);
    await waitFor(async () => (await unreadCount(page, "frank")) === 3, { timeoutMs: STEP_TIMEOUT_MS, what: "3 unread from frank" });
    // The count is beside the name, not in it.
    assert.equal(await conversationLink(page, "frank").count(), 1);

    // Erin's IRC client (another device of the account) reads them.
    const phone = await ircUser("erin", ["draft/read-marker"]);
    phone.client.say("frank", "reading on my phone");
    const last = await waitFor(async () => (await suite.web.api.dmMessages("frank", (await suite.web.api.login("erin")).body.tokens.accessToken, "?limit=1")).body.messages?.[0], {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the conversation stored",
    });
    phone.client.raw("MARKREAD", "frank", `timestamp=${last.time}`);
    await waitFor(async () => (await unreadCount(page, "frank")) === 0, { timeoutMs: STEP_TIMEOUT_MS, what: "frank's conversation read elsewhere" });

    // Now erin looks at frank's conversation in this tab; #general gets news.
    await conversationLink(page, "frank").click();
    await page.getByRole("heading", { name: "frank", level: 2 }).waitFor();
    frank.client.say("#general", "news in general 1");
    frank.client.say("#general", "news in general 2");
    await waitFor(async () => (await unreadCount(page, "#general")) === 2, { timeoutMs: STEP_TIMEOUT_MS, what: "2 unread in #general" });

    // A second browser (another device) opens #general and reads it: the first one's count goes.
    const { page: laptop } = await signedInPage(suite.browser, suite.web, "erin", PASSWORD);
    suite.watch(laptop);
    await conversationLink(laptop, "#general").click();
    await laptop.getByRole("list", { name: "Messages" }).getByText("news in general 2").waitFor();
    await waitFor(async () => (await unreadCount(page, "#general")) === 0, { timeoutMs: STEP_TIMEOUT_MS, what: "#general read on the other device" });
    await laptop.context().close();
    await page.context().close();
  });

  test("reconnects after a server restart with no message lost and none twice", async () => {
    const page = await open("grace");
    await conversationLink(page, "#general").click();
    let bob = await ircUser("bob");
    bob.client.say("#general", "before the restart");
    await page.getByRole("list", { name: "Messages" }).getByText("before the restart").waitFor();

    await bob.close();
    await suite.web.stop();
    await page.getByRole("status").filter({ hasText: "Disconnected" }).waitFor();
    // Typed while the server is away: kept and sent after the reconnect, once.
    await page.getByRole("textbox", { name: "Message" }).fill("typed while offline");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    await page.getByText("Waiting for the connection").waitFor();

    await suite.web.start();
    // Said on IRC as soon as the server is back, possibly before the page has reconnected.
    bob = await ircUser("bob");
    for (let i = 1; i <= 3; i++) bob.client.say("#general", `while you were away ${i}`);
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor({ timeout: 60_000 });

    const wanted = ["before the restart", "while you were away 1", "while you were away 2", "while you were away 3", "typed while offline"];
    const texts = await textsNow(page, (all) => wanted.every((text) => all.includes(text)), "every message after the reconnect");
    for (const text of wanted) assert.equal(texts.filter((t) => t === text).length, 1, `"${text}" shown once`);
    const ids = await page.getByRole("list", { name: "Messages" }).locator(":scope > li[data-msgid]").evaluateAll((items) => items.map((item) => item.getAttribute("data-msgid")));
    assert.equal(new Set(ids).size, ids.length, "a msgid shown twice");
    // The message typed offline reached the server once.
    const token = (await suite.web.api.login("grace")).body.tokens.accessToken;
    const stored = await waitFor(
      async () => {
        const page = (await suite.web.api.channelMessages("#general", token, "?limit=50")).body.messages ?? [];
        return page.some((m) => m.text === "typed while offline") ? page : undefined;
      },
      { timeoutMs: STEP_TIMEOUT_MS, what: "the offline message stored" },
    );
    assert.equal(stored.filter((m) => m.text === "typed while offline").length, 1);
    await page.context().close();
  });

  test("after a network loss the gap is filled even when the last message held was deleted meanwhile", async () => {
    const page = await open("mona");
    const otto = await ircUser("otto", ["batch", "message-tags", "draft/message-redaction"]);
    otto.client.join("#gap");
    await otto.waitRaw(/ 366 otto #gap /);
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill("#gap");
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: "#gap", level: 2 }).waitFor();
    otto.client.say("#gap", "still here later");
    otto.client.say("#gap", "about to be deleted");
    const doomed = messageItem(page, "about to be deleted");
    await doomed.waitFor();
    const doomedId = (await doomed.getAttribute("data-msgid"))!;

    // The server restarts while the page's network is away (so it cannot come back early);
    // meanwhile the newest message the page holds is deleted and others are said: the
    // page's reference for the gap no longer exists on the server.
    await otto.close();
    await suite.web.stop();
    await page.getByRole("status").filter({ hasText: "Disconnected" }).waitFor();
    await page.context().setOffline(true);
    await suite.web.start();
    const otto2 = await ircUser("otto", ["batch", "message-tags", "draft/message-redaction"]);
    otto2.client.join("#gap");
    await otto2.waitRaw(/ 366 otto #gap /);
    otto2.client.raw("REDACT", "#gap", doomedId);
    const gap = ["said in the gap 1", "said in the gap 2", "said in the gap 3"];
    for (const text of gap) otto2.client.say("#gap", text);
    const token = (await suite.web.api.login("mona")).body.tokens.accessToken;
    await waitFor(
      async () => {
        const stored = (await suite.web.api.channelMessages("#gap", token, "?limit=50")).body.messages ?? [];
        return stored.some((m) => m.text === gap[2]) && !stored.some((m) => m.text === "about to be deleted");
      },
      { timeoutMs: STEP_TIMEOUT_MS, what: "the gap stored, the deleted message gone" },
    );
    // Still offline: what was said can only reach the page by filling the gap.
    assert.equal(await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).count(), 0);
    await page.context().setOffline(false);
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor({ timeout: 60_000 });

    const wanted = ["still here later", ...gap];
    const texts = await textsNow(page, (all) => wanted.every((text) => all.includes(text)), "the messages said while the page was offline");
    for (const text of wanted) assert.equal(texts.filter((t) => t === text).length, 1, `"${text}" shown once`);
    await page.context().close();
  });

  test("the network going away is noticed at once; what was read meanwhile reaches the other devices after the reconnect", async () => {
    const page = await open("nina");
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    const paul = await ircUser("paul");
    paul.client.say("nina", "read while offline");
    await waitFor(async () => (await unreadCount(page, "paul")) === 1, { timeoutMs: STEP_TIMEOUT_MS, what: "1 unread from paul" });
    const token = (await suite.web.api.login("nina")).body.tokens.accessToken;
    const said = await waitFor(async () => (await suite.web.api.dmMessages("paul", token, "?limit=1")).body.messages?.[0], { timeoutMs: STEP_TIMEOUT_MS, what: "the message stored" });
    // Nina's IRC client: another device of the account, told when her read marker moves.
    const phone = await ircUser("nina", ["draft/read-marker"]);

    // A silent loss: the socket is not closed, only the browser knows (its offline event);
    // the page must not wait for its keep-alive PING to time out (over a minute).
    await page.context().setOffline(true);
    await page.getByRole("status").filter({ hasText: "Disconnected" }).waitFor({ timeout: STEP_TIMEOUT_MS });
    // Read here while offline: the count goes in this tab only.
    await conversationLink(page, "paul").click();
    await page.getByRole("list", { name: "Messages" }).getByText("read while offline").waitFor();
    await waitFor(async () => (await unreadCount(page, "paul")) === 0, { timeoutMs: STEP_TIMEOUT_MS, what: "paul's conversation read in the tab" });

    // Back online: the page reconnects at once and tells the server what it read.
    await page.context().setOffline(false);
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await phone.waitRaw(new RegExp(` MARKREAD paul timestamp=${said.time.replace(/\./g, "\\.")}`), STEP_TIMEOUT_MS);
    await page.context().close();
  });

  test("typing, replies and reactions travel between the browser and IRC", async () => {
    const page = await open("henry");
    const ivy = await ircUser("ivy", ["message-tags"]);
    ivy.client.join("#tags");
    await ivy.waitRaw(/ 366 ivy #tags /);
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill("#tags");
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: "#tags", level: 2 }).waitFor();

    // Someone typing on IRC shows; what they say ends it.
    ivy.client.tagmsg("#tags", { "+typing": "active" });
    await page.getByText("ivy is typing…").waitFor();
    ivy.client.say("#tags", "which day suits you?");
    const question = messageItem(page, "which day suits you?");
    await question.waitFor();
    await page.getByText("ivy is typing…").waitFor({ state: "detached" });
    const questionId = await question.getAttribute("data-msgid");
    assert.ok(questionId);

    // Typing in the browser is announced (+typing), then a reply carries +draft/reply.
    const typing = ivy.next<{ tags: Record<string, string> }>("tagmsg", (e) => e.tags["+typing"] === "active");
    await question.hover();
    await question.getByRole("button", { name: "Reply to ivy" }).click();
    await page.getByRole("textbox", { name: "Message" }).pressSequentially("Tues");
    await typing;
    const reply = ivy.next<{ message: string; tags: Record<string, string> }>("privmsg", (e) => e.message === "Tuesday");
    await page.getByRole("textbox", { name: "Message" }).pressSequentially("day");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    assert.equal((await reply).tags["+draft/reply"], questionId);
    const answer = messageItem(page, "Tuesday");
    await answer.locator(".reply-context").getByText("which day suits you?").waitFor(); // the reply shows what it answers

    // A reaction from the browser reaches IRC as +draft/react on the message.
    const reacted = ivy.next<{ tags: Record<string, string> }>("tagmsg", (e) => e.tags["+draft/react"] !== undefined);
    await question.hover();
    await question.getByRole("button", { name: "React to ivy's message" }).click();
    await question.getByRole("group", { name: "Choose a reaction" }).getByRole("button", { name: "👍" }).click();
    const reaction = await reacted;
    assert.equal(reaction.tags["+draft/react"], "👍");
    assert.equal(reaction.tags["+draft/reply"], questionId);
    await question.getByRole("group", { name: "Reactions" }).getByRole("button", { name: "👍 1: henry" }).waitFor();

    // One from IRC is shown on the browser's message, grouped by emoji.
    const answerId = await answer.getAttribute("data-msgid");
    ivy.client.tagmsg("#tags", { "+draft/react": "🎉", "+draft/reply": answerId! });
    await answer.getByRole("group", { name: "Reactions" }).getByRole("button", { name: "🎉 1: ivy" }).waitFor();
    await page.context().close();
  });

  test("pasted lines go as one multiline message; deleting one's own message removes it everywhere", async () => {
    const page = await open("kate");
    const leo = await ircUser("leo", ["batch", "message-tags", "draft/multiline", "draft/message-redaction"]);
    leo.client.join("#paste");
    await leo.waitRaw(/ 366 leo #paste /);
    await page.getByRole("button", { name: "Join a channel" }).click();
    await page.getByRole("dialog").getByLabel("Channel").fill("#paste");
    await page.getByRole("dialog").getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: "#paste", level: 2 }).waitFor();

    // A paste of three lines, sent with Enter: one draft/multiline batch, one stored message.
    const box = page.getByRole("textbox", { name: "Message" });
    await box.focus();
    await page.keyboard.insertText("first line\nsecond line\nthird line");
    const opened = leo.waitRaw(/BATCH \+\S+ draft\/multiline #paste$/);
    await box.press("Enter");
    const opener = await opened;
    const msgid = /msgid=([^; ]+)/.exec(opener)?.[1];
    assert.ok(msgid, opener);
    const item = page.getByRole("list", { name: "Messages" }).locator(`:scope > li[data-msgid="${msgid}"]`);
    assert.equal(await item.locator(".text").innerText(), "first line\nsecond line\nthird line");
    assert.equal(await page.getByRole("list", { name: "Messages" }).locator(":scope > li", { hasText: "second line" }).count(), 1);
    const token = (await suite.web.api.login("kate")).body.tokens.accessToken;
    const stored = (await suite.web.api.channelMessages("#paste", token)).body.messages;
    assert.deepEqual(
      stored.map((m) => m.text),
      ["first line\nsecond line\nthird line"],
    );

    // Deleting it: confirmed in the page, REDACT reaches IRC, the history forgets it.
    const redacted = leo.waitRaw(new RegExp(` REDACT #paste ${msgid}`));
    await item.hover();
    await item.getByRole("button", { name: "Delete this message" }).click();
    await item.getByRole("group", { name: "Delete this message?" }).getByRole("button", { name: "Delete" }).click();
    await redacted;
    await item.getByText("This message was deleted.").waitFor();
    await waitFor(async () => (await suite.web.api.channelMessages("#paste", token)).body.messages.length === 0, { timeoutMs: STEP_TIMEOUT_MS, what: "the message gone from history" });

    // One deleted on IRC disappears from the page too.
    leo.client.say("#paste", "oops, wrong channel");
    const oops = messageItem(page, "oops, wrong channel");
    await oops.waitFor();
    leo.client.raw("REDACT", "#paste", (await oops.getAttribute("data-msgid"))!);
    await page.getByRole("list", { name: "Messages" }).locator(":scope > li", { hasText: "This message was deleted." }).nth(1).waitFor();
    assert.equal(await messageItem(page, "oops, wrong channel").count(), 0);
    await page.context().close();
  });

  test("an open direct conversation stays open, under the new name, when the other person changes nick", async () => {
    const page = await open("rosa");
    const stan = await ircUser("stan");
    stan.client.say("rosa", "about to change my nick");
    await conversationLink(page, "stan").click();
    await page.getByRole("list", { name: "Messages" }).getByText("about to change my nick").waitFor();

    stan.client.changeNick("stan_away");
    await conversationLink(page, "stan_away").waitFor();
    await waitFor(async () => (await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)) === "#/c/stan_away", {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the address following the new nick",
    });
    await page.getByRole("heading", { name: "stan_away", level: 2 }).waitFor();
    assert.equal(await page.getByRole("heading", { name: "Welcome" }).count(), 0);
    await page.getByRole("list", { name: "Messages" }).getByText("about to change my nick").waitFor();
    stan.client.say("rosa", "same person, new nick");
    await page.getByRole("list", { name: "Messages" }).getByText("same person, new nick").waitFor();
    await page.context().close();
  });

  /** The conversation lists this browser keeps for accounts (`cmy.conversations.<account>`). */
  async function savedConversationKeys(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const storage = (globalThis as unknown as { localStorage: { length: number; key(index: number): string | null } }).localStorage;
      return Array.from({ length: storage.length }, (_, i) => storage.key(i) ?? "").filter((key) => key.startsWith("cmy.conversations."));
    });
  }

  test("creates an account, changes its password, signs out here and everywhere", async () => {
    const context = await suite.browser.newContext();
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Account").fill("judy2");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await conversationLink(page, "#general").waitFor();

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByLabel("New password").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();
    await waitFor(async () => (await savedConversationKeys(page)).includes("cmy.conversations.judy2"), { timeoutMs: STEP_TIMEOUT_MS, what: "the conversations saved" });
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    assert.equal((await suite.web.api.login("judy2", PASSWORD)).status, 401);
    // The device forgets which channels (secret ones too) and people the account talks to.
    assert.deepEqual(await savedConversationKeys(page), [], "signing out left the account's conversations on the device");

    // Two devices; "sign out everywhere" on one ends the other's session too.
    await signIn(page, "judy2", "a brand new passphrase");
    const other = await suite.browser.newContext();
    const otherPage = suite.watch(await other.newPage());
    await otherPage.goto(suite.web.url);
    await signIn(otherPage, "judy2", "a brand new passphrase");
    await page.getByRole("link", { name: "Settings" }).click();
    await waitFor(async () => (await savedConversationKeys(page)).includes("cmy.conversations.judy2"), { timeoutMs: STEP_TIMEOUT_MS, what: "the conversations saved again" });
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    await waitFor(async () => (await savedConversationKeys(page)).length === 0, { timeoutMs: STEP_TIMEOUT_MS, what: "the conversations forgotten after signing out everywhere" });
    await otherPage.reload();
    await otherPage.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    await other.close();
    await context.close();
  });

  test("keyboard: Ctrl+K switches, Alt+arrows move between conversations; at 360 px the list is a drawer", async () => {
    const context = await suite.browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await signIn(page, "alice", PASSWORD);
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    // Narrow: the list hides behind the menu button until asked for.
    assert.equal(await conversationLink(page, "#general").isVisible(), false);
    await page.getByRole("button", { name: "Conversation list" }).click();
    await conversationLink(page, "#general").waitFor();
    assert.deepEqual(await seriousAccessibilityFindings(page), []);
    await page.keyboard.press("Escape");
    await conversationLink(page, "#general").waitFor({ state: "hidden" });

    // A direct conversation started from the drawer.
    await page.getByRole("button", { name: "Conversation list" }).click();
    await page.getByRole("button", { name: "Message someone" }).click();
    await page.getByRole("dialog").getByLabel("Account or nick").fill("bob");
    await page.getByRole("dialog").getByRole("button", { name: "Start conversation" }).click();
    await page.getByRole("heading", { name: "bob", level: 2 }).waitFor();
    await conversationLink(page, "bob").waitFor({ state: "hidden" }); // the drawer closed

    await page.keyboard.press("Alt+ArrowUp");
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    await page.keyboard.press("Control+k");
    await page.getByRole("combobox", { name: "Go to conversation" }).fill("bo");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "bob", level: 2 }).waitFor();
    await page.keyboard.press("Alt+ArrowUp");
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    await page.keyboard.press("Alt+ArrowDown");
    await page.getByRole("heading", { name: "bob", level: 2 }).waitFor();
    assert.deepEqual(await seriousAccessibilityFindings(page), []);
    await context.close();
  });

  test("a page signed in before keeps its session across a reload", async () => {
    const context = await suite.browser.newContext();
    const page = suite.watch(await context.newPage());
    await page.goto(suite.web.url);
    await signIn(page, "alice", PASSWORD);
    await page.reload();
    await conversationLink(page, "#general").waitFor();
    await context.close();
  });
});
