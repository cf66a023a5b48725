import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { IrcLibClient } from "../support/account-server.js";
import { conversationLink, PageTrace, signIn, STEP_TIMEOUT_MS } from "../support/browser.js";
import { PASSWORD } from "../support/http-client.js";
import { webSuite } from "../support/web-suite.js";

/**
 * Channels with a key (+k) in the browser client: `/join #channel key` and irssi's
 * `/join #a,#b key1,key2` send the keys, the Join dialog has an optional Key field, and the
 * key the page was given, or saw set (MODE +k) while in the channel, is used to join it again
 * after a reconnect. Real Chromium against the real server; the channels' operator on IRC.
 */
describe("web client: channel keys", () => {
  const suite = webSuite(["amos", "bea", "cleo", "dirk", "olga", "pia", "quinn", "rob"]);
  const { ircUser } = suite;

  /**
   * A page signed in as `account`, the JOIN lines it sends over /ws (every connection's, in
   * order), and its trace (a failure shows what the page sent and got).
   */
  async function open(account: string): Promise<{ page: Page; sent: string[]; trace: PageTrace }> {
    const context = await suite.browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = suite.watch(await context.newPage());
    const trace = new PageTrace(page);
    const sent: string[] = [];
    page.on("websocket", (socket) => socket.on("framesent", ({ payload }) => sent.push(...String(payload).split(/\r?\n/).filter((line) => /^JOIN /.test(line)))));
    await page.goto(suite.web.url);
    await signIn(page, account, PASSWORD);
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor();
    return { page, sent, trace };
  }

  /** A channel `operator` creates and locks with `key`. */
  async function lockedChannel(operator: IrcLibClient, channel: string, key: string): Promise<void> {
    operator.client.join(channel);
    await operator.waitRaw(new RegExp(` 366 ${operator.nick} ${channel} `));
    operator.client.raw(`MODE ${channel} +k ${key}`);
    await operator.waitRaw(new RegExp(` MODE ${channel} \\+k :?${key}$`));
  }

  async function type(page: Page, text: string): Promise<void> {
    await page.getByRole("textbox", { name: "Message" }).fill(text);
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
  }

  /**
   * The page loses its connection (the network goes away: the server sees it quit) and makes a
   * new one; `operator` sees `nick` join `channel` again, or the test fails.
   */
  async function reconnectAndRejoin(page: Page, operator: IrcLibClient, nick: string, channel: string): Promise<void> {
    await page.context().setOffline(true);
    await page.getByRole("status").filter({ hasText: "Disconnected" }).waitFor();
    await operator.waitRaw(new RegExp(`^(?:@\\S+ )?:${nick}!\\S+ QUIT `), STEP_TIMEOUT_MS);
    await page.context().setOffline(false);
    await page.getByRole("status").filter({ hasText: /^\s*Connected\s*$/ }).waitFor();
    await operator.waitRaw(new RegExp(`^(?:@\\S+ )?:${nick}!\\S+ JOIN ${channel}( |$)`), STEP_TIMEOUT_MS);
  }

  test("/join #channel key joins a +k channel with its key, and a reconnect joins it again with that key", async () => {
    const olga = await ircUser("olga");
    await lockedChannel(olga, "#vault", "sekrit");
    const { page, sent, trace } = await open("amos");
    try {
      await type(page, "/join #vault sekrit");
      await page.getByRole("heading", { name: "#vault", level: 2 }).waitFor();
      assert.deepEqual(sent.filter((line) => line.includes("#vault")), ["JOIN #vault sekrit"]);
      await olga.waitRaw(/^(?:@\S+ )?:amos!\S+ JOIN #vault( |$)/);

      await reconnectAndRejoin(page, olga, "amos", "#vault");
      assert.deepEqual(sent.filter((line) => line.includes("#vault")), ["JOIN #vault sekrit", "JOIN #vault sekrit"], "joined again with the key");
      assert.equal(await page.getByText(/#vault: .*\+k/).count(), 0, "no notice of a refused join");
      await type(page, "still here after the reconnect");
      await olga.waitRaw(/^(?:@\S+ )?:amos!\S+ PRIVMSG #vault :still here after the reconnect$/, STEP_TIMEOUT_MS);
      await page.context().close();
    } catch (error) {
      throw trace.explain(error);
    }
  });

  test("/join #a,#b key1,key2 pairs the keys with the channels in order", async () => {
    const pia = await ircUser("pia");
    await lockedChannel(pia, "#left", "one");
    await lockedChannel(pia, "#right", "two");
    const { page, sent, trace } = await open("bea");
    try {
      await type(page, "/join #left,#right one,two");
      await conversationLink(page, "#left").waitFor();
      await conversationLink(page, "#right").waitFor();
      assert.deepEqual(sent.filter((line) => /#left|#right/.test(line)), ["JOIN #left one", "JOIN #right two"]);
      await page.context().close();
    } catch (error) {
      throw trace.explain(error);
    }
  });

  test("a key set while the page is in the channel (MODE +k) is used to join it again after a reconnect", async () => {
    const quinn = await ircUser("quinn");
    quinn.client.join("#later");
    await quinn.waitRaw(/ 366 quinn #later /);
    const { page, sent, trace } = await open("cleo");
    try {
      await type(page, "/join #later");
      await page.getByRole("heading", { name: "#later", level: 2 }).waitFor();
      await quinn.waitRaw(/^(?:@\S+ )?:cleo!\S+ JOIN #later( |$)/);
      quinn.client.raw("MODE #later +k latekey");
      await quinn.waitRaw(/ MODE #later \+k :?latekey$/);

      await reconnectAndRejoin(page, quinn, "cleo", "#later");
      assert.deepEqual(sent.filter((line) => line.includes("#later")), ["JOIN #later", "JOIN #later latekey"], "joined again with the key seen set");
      await page.context().close();
    } catch (error) {
      throw trace.explain(error);
    }
  });

  test("the Join a channel dialog takes a key (optional)", async () => {
    const rob = await ircUser("rob");
    await lockedChannel(rob, "#dialog", "opensesame");
    const { page, sent, trace } = await open("dirk");
    try {
      await page.getByRole("button", { name: "Join a channel" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Channel").fill("#dialog");
      await dialog.getByRole("textbox", { name: "Key" }).fill("opensesame");
      await dialog.getByRole("button", { name: "Join" }).click();
      await page.getByRole("heading", { name: "#dialog", level: 2 }).waitFor();
      assert.deepEqual(sent.filter((line) => line.includes("#dialog")), ["JOIN #dialog opensesame"]);
      await page.context().close();
    } catch (error) {
      throw trace.explain(error);
    }
  });
});
