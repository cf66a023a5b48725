/**
 * `npm run screenshots`: pictures of the browser client for docs/web-client.md. Starts the real server
 * on loopback with a few people, channels, messages and files, drives Debian's Chromium through the
 * main views (sign-in, conversation, files, search) at desktop (1280×800) and phone (360×740) size, in
 * light and dark, and writes docs/images/web-<view>-<desktop|phone>-<light|dark>.png.
 * Not a test: it asserts nothing beyond the views showing up. Needs `npm run build` first (the script does it).
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { IrcLibClient, suiteScope } from "../support/account-server.js";
import { PASSWORD } from "../support/http-client.js";
import { launchBrowser, signIn, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { gradientPng } from "../support/png.js";
import { waitFor } from "../support/wait.js";
import { hashPassword } from "../../src/auth/passwords.js";

const OUT = resolve(fileURLToPath(new URL("../../docs/images", import.meta.url)));

const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 360, height: 740 },
} as const;
const SCHEMES = ["light", "dark"] as const;

type Size = keyof typeof SIZES;
type Scheme = (typeof SCHEMES)[number];

/** The person whose screen is shown, and the people around her. */
const VIEWER = "alice";
const PEOPLE = ["alice", "bob", "carol", "dave"] as const;

async function put(web: WebServer, token: string, path: string, body: Buffer | string): Promise<void> {
  const response = await fetch(`${web.url}/api/v1/files/content?path=${encodeURIComponent(path)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body,
  });
  if (!response.ok) throw new Error(`upload ${path}: ${response.status} ${await response.text()}`);
}

async function folder(web: WebServer, token: string, path: string): Promise<void> {
  const reply = await web.api.post("/api/v1/files/folders", { path }, token);
  if (reply.status !== 201) throw new Error(`folder ${path}: ${reply.status} ${reply.text}`);
}

async function share(web: WebServer, token: string, path: string): Promise<string> {
  const reply = await web.api.post<{ url: string }>("/api/v1/shares", { path }, token);
  if (reply.status !== 201) throw new Error(`share ${path}: ${reply.status} ${reply.text}`);
  return `${web.url}${reply.body.url}`;
}

/** People, rooms, a conversation with a shared picture, a direct message, and a file space to show. */
async function populate(web: WebServer): Promise<IrcLibClient[]> {
  const tokens: Record<string, string> = {};
  for (const name of PEOPLE) tokens[name] = (await web.api.register(name)).tokens.accessToken;

  const viewer = tokens[VIEWER]!;
  await folder(web, viewer, "/Photos");
  await folder(web, viewer, "/Documents");
  await put(web, viewer, "/Photos/harbour at dusk.png", gradientPng(640, 400, [250, 130, 60], [40, 50, 130]));
  await put(web, viewer, "/Photos/first snow.png", gradientPng(480, 360, [220, 235, 250], [90, 120, 170]));
  await put(web, viewer, "/Documents/meeting notes.txt", "Agenda\n- release date\n- screenshots for the docs\n");
  await put(web, viewer, "/budget 2026.csv", "item,amount\nservers,1200\ndomains,40\n");
  await put(web, viewer, "/team photo.png", gradientPng(800, 500, [60, 160, 120], [240, 220, 120]));
  await put(web, viewer, "/release checklist.md", "# Release\n\n- [x] tests\n- [ ] screenshots\n");

  const irc: IrcLibClient[] = [];
  const connect = async (name: string) => {
    const client = await IrcLibClient.connect(web.ircPort, name, { account: { account: name, password: PASSWORD } });
    irc.push(client);
    return client;
  };
  const bob = await connect("bob");
  const carol = await connect("carol");
  const dave = await connect("dave");
  // The viewer on IRC too (one more connection of the same person): her channels show in the browser.
  const alice = await connect(VIEWER);
  bob.client.raw("OPER", "admin", PASSWORD);
  await bob.waitRaw(/ 381 /);
  bob.client.raw("MODE #general +o bob");
  await bob.waitRaw(/ MODE #general \+o bob/);
  bob.client.raw("TOPIC #general :Everything about the spring release");
  for (const channel of ["#design", "#random"]) {
    alice.client.join(channel);
    await alice.waitRaw(new RegExp(` 366 ${VIEWER} ${channel} `));
  }
  carol.client.join("#design");
  dave.client.join("#design");

  await put(web, tokens["bob"]!, "/sunset.png", gradientPng(480, 300, [255, 150, 70], [120, 40, 120]));
  const sunset = await share(web, tokens["bob"]!, "/sunset.png");
  const lines: Array<[IrcLibClient, string, string]> = [
    [bob, "#general", "Morning everyone! The release candidate is up on the test server."],
    [carol, "#general", "Great, I'll run through the checklist after lunch."],
    [dave, "#general", "Found a small glitch in the settings page, filing it now."],
    [bob, "#general", "Thanks Dave. Here is the view from the office this morning:"],
    [bob, "#general", sunset],
    [carol, "#general", "Lovely! alice, can you add the screenshots to the docs?"],
    [dave, "#design", "New icons are in the Photos folder."],
    [carol, VIEWER, "Do you have the budget file for the release meeting?"],
  ];
  // One line at a time, each stored before the next is sent, so the conversation reads in order
  // (and the pages, which read history when they open, find all of it).
  for (const [client, target, text] of lines) {
    client.client.say(target, text);
    const stored = async () => {
      const reply = target.startsWith("#") ? await web.api.channelMessages(target, viewer) : await web.api.dmMessages(client.nick, viewer);
      return reply.body.messages?.some((message) => message.text === text);
    };
    await waitFor(stored, { timeoutMs: STEP_TIMEOUT_MS, what: `"${text}" stored` });
  }
  return irc;
}

async function shoot(page: Page, view: string, size: Size, scheme: Scheme): Promise<void> {
  // The pointer rests on the empty middle of the top bar: no hover toolbar in the picture.
  await page.mouse.move(SIZES[size].width / 2, 4);
  // Let fonts and images settle: the picture must not catch a half-loaded preview.
  await page.evaluate(async () => {
    const doc = (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> }; images: Iterable<{ complete: boolean; decode(): Promise<void> }> } }).document;
    await doc.fonts.ready;
    await Promise.all([...doc.images].map((image) => (image.complete ? Promise.resolve() : image.decode().catch(() => undefined))));
  });
  const path = resolve(OUT, `web-${view}-${size}-${scheme}.png`);
  await page.screenshot({ path, animations: "disabled", caret: "hide" });
  console.log(`wrote ${path}`);
}

/** A conversation by its address (on a phone the list is a drawer, which the picture should not show). */
async function openConversation(page: Page, web: WebServer, name: string): Promise<void> {
  await page.goto(`${web.url}/#/c/${encodeURIComponent(name)}`);
  await page.getByRole("heading", { name, level: 2 }).waitFor();
}

async function tour(browser: Browser, web: WebServer, size: Size, scheme: Scheme): Promise<void> {
  const context = await browser.newContext({ viewport: SIZES[size], colorScheme: scheme, deviceScaleFactor: 1 });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  await page.goto(web.url);
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  await shoot(page, "sign-in", size, scheme);

  await signIn(page, VIEWER, PASSWORD);
  await openConversation(page, web, "#general");
  await page.getByRole("list", { name: "Messages" }).getByRole("img").first().waitFor();
  await shoot(page, "conversation", size, scheme);

  await page.goto(`${web.url}/#/files`);
  await page.getByRole("list", { name: "Files" }).getByRole("listitem").first().waitFor();
  await shoot(page, "files", size, scheme);

  await page.goto(`${web.url}/#/search`);
  const box = page.getByRole("searchbox", { name: "Search messages" });
  await box.fill("release");
  await box.press("Enter");
  await page.getByRole("list", { name: "Search results" }).getByRole("listitem").first().waitFor();
  await shoot(page, "search", size, scheme);
  await context.close();
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const scope = suiteScope();
  let browser: Browser | undefined;
  let irc: IrcLibClient[] = [];
  try {
    // #general is a default channel, nobody's by joining first: a server operator sets its topic.
    const web = await startWebServer(scope, { irc: { operators: [{ name: "admin", passwordHash: await hashPassword(PASSWORD) }] } });
    irc = await populate(web);
    browser = await launchBrowser();
    for (const size of Object.keys(SIZES) as Size[]) {
      for (const scheme of SCHEMES) await tour(browser, web, size, scheme);
    }
  } finally {
    await Promise.all(irc.map((client) => client.close()));
    await browser?.close();
    await scope.run();
  }
}

await main();
