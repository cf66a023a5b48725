import { after, before } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { IrcLibClient, suiteScope, type ServerConfig } from "./account-server.js";
import { PASSWORD } from "./http-client.js";
import { CspViolations, launchBrowser, signedInPage, startWebServer, type WebServer } from "./browser.js";

/** What a web client suite works with, set up by webSuite's hooks. */
export interface WebSuite {
  readonly web: WebServer;
  readonly browser: Browser;
  /** `page`, watched for Content-Security-Policy violations (the suite fails on any). */
  watch(page: Page): Page;
  /** A page signed in as `account` (password PASSWORD), watched for Content-Security-Policy violations. */
  open(account: string): Promise<Page>;
  /** An IRC user on the account of the same name (SASL PLAIN over loopback), closed after the suite. */
  ircUser(account: string, caps?: string[]): Promise<IrcLibClient>;
}

/**
 * Called inside a `describe`: the real server with `accounts` registered and Debian's Chromium,
 * both stopped after the suite, which fails if any page broke its Content-Security-Policy.
 */
export function webSuite(accounts: readonly string[], config: ServerConfig = {}): WebSuite {
  const scope = suiteScope();
  let web: WebServer | undefined;
  let browser: Browser | undefined;
  const irc: IrcLibClient[] = [];
  const cspViolations = new CspViolations();
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`webSuite: ${what} is used before the suite's before hook`);
    return value;
  };

  before(async () => {
    web = await startWebServer(scope, config);
    browser = await launchBrowser();
    for (const name of accounts) await web.api.register(name);
  });

  after(async () => {
    await Promise.all(irc.map((client) => client.close()));
    await browser?.close();
    await scope.run();
    assert.deepEqual(cspViolations.seen, [], "the pages broke their Content-Security-Policy");
  });

  return {
    get web() {
      return ready(web, "the server");
    },
    get browser() {
      return ready(browser, "the browser");
    },
    watch: (page) => cspViolations.watch(page),
    async open(account) {
      const { page } = await signedInPage(ready(browser, "the browser"), ready(web, "the server"), account, PASSWORD);
      return cspViolations.watch(page);
    },
    async ircUser(account, caps = []) {
      const client = await IrcLibClient.connect(ready(web, "the server").ircPort, account, { account: { account, password: PASSWORD }, caps });
      irc.push(client);
      return client;
    },
  };
}
