import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PassThrough, Readable } from "node:stream";
import { Client as FtpClient } from "basic-ftp";
import type { Browser, Page } from "playwright-core";
import { IrcLibClient, suiteScope } from "../support/account-server.js";
import { PASSWORD } from "../support/http-client.js";
import { CspViolations, conversationLink, launchBrowser, messageItem, seriousAccessibilityFindings, signedInPage, startWebServer, STEP_TIMEOUT_MS, type WebServer } from "../support/browser.js";
import { gradientPng } from "../support/png.js";
import { waitFor } from "../support/wait.js";
import { hashPassword } from "../../src/auth/passwords.js";

/**
 * The files, shares and search views of the browser client end to end: real Chromium against the real
 * server, FTP (basic-ftp) on the other side of the same file space, IRC (irc-framework) in the rooms.
 * Each test uses its own account, so what one leaves behind never changes another.
 */
describe("web client: files, shares and search in Chromium", () => {
  const scope = suiteScope();
  let web: WebServer;
  let browser: Browser;
  let ftpPort: number;
  const ftpClients: FtpClient[] = [];
  const irc: IrcLibClient[] = [];
  const cspViolations = new CspViolations();
  /** Access tokens from registration, for the requests the test makes over HTTP itself. */
  const tokens: Record<string, string> = {};
  let ines: IrcLibClient;

  before(async () => {
    // #general is a default channel, so nobody's by joining first: a server operator sets its modes.
    const operator = { name: "admin", passwordHash: await hashPassword(PASSWORD) };
    web = await startWebServer(scope, { ftp: { listen: ["127.0.0.1:0"] }, irc: { operators: [operator] } });
    ftpPort = web.server.ftp[0]!.port;
    browser = await launchBrowser();
    for (const name of ["fiona", "gus", "hana", "ines", "jon", "kim", "lee", "max"]) tokens[name] = (await web.api.register(name)).tokens.accessToken;
    // ines, a server operator, makes #general secret: only its members may read it,
    // which is what the share test needs (everyone may read a channel anyone may join).
    ines = await IrcLibClient.connect(web.ircPort, "ines", { account: { account: "ines", password: PASSWORD } });
    irc.push(ines);
    ines.client.raw("OPER", "admin", PASSWORD);
    await ines.waitRaw(/ 381 /);
    ines.client.raw("MODE #general +s");
    await ines.waitRaw(/ MODE #general \+s/);
  });

  after(async () => {
    for (const client of ftpClients) client.close();
    await Promise.all(irc.map((client) => client.close()));
    await browser?.close();
    await scope.run();
    assert.deepEqual(cspViolations.seen, [], "the pages broke their Content-Security-Policy");
  });

  async function open(account: string): Promise<Page> {
    const { page } = await signedInPage(browser, web, account, PASSWORD);
    return cspViolations.watch(page);
  }

  /** The files view of `page`, reached the way a person does: the "Files" link. */
  async function openFiles(page: Page): Promise<void> {
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Files", exact: true }).click();
    await page.getByRole("list", { name: "Files" }).waitFor();
  }

  function fileList(page: Page) {
    return page.getByRole("list", { name: "Files" });
  }

  async function ftp(account: string): Promise<FtpClient> {
    const client = new FtpClient(STEP_TIMEOUT_MS);
    ftpClients.push(client);
    // Plain FTP from loopback is trusted by default (ftp.trustLoopback).
    await client.access({ host: "127.0.0.1", port: ftpPort, user: account, password: PASSWORD });
    return client;
  }

  async function ftpRead(client: FtpClient, path: string): Promise<Buffer> {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (chunk: Buffer) => chunks.push(chunk));
    await client.downloadTo(sink, path);
    return Buffer.concat(chunks);
  }

  async function ftpNames(client: FtpClient, path: string): Promise<string[]> {
    return (await client.list(path)).map((info) => info.name).sort();
  }

  /**
   * Records every value the upload progress bars take, from before the upload starts, so the test
   * sees the bar move however fast the upload is.
   */
  async function recordProgress(page: Page): Promise<() => Promise<number[]>> {
    // A script string, not a function: the page runs it as written (no helpers from the test's compiler).
    await page.evaluate(`(() => {
      const seen = (globalThis.progressSeen = []);
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll('[role="progressbar"]')) seen.push(Number(bar.getAttribute("aria-valuenow")));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    })()`);
    return () => page.evaluate<number[]>("globalThis.progressSeen");
  }

  /** Drops files on the files view the way a file manager does: dragenter, dragover, drop with a DataTransfer. */
  async function dropFiles(page: Page, files: ReadonlyArray<{ name: string; type: string; bytes: Buffer }>): Promise<void> {
    const encoded = files.map((file) => ({ name: file.name, type: file.type, base64: file.bytes.toString("base64") }));
    await page.getByRole("region", { name: "Files" }).evaluate((target, list) => {
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: unknown[], name: string, options: object) => unknown;
        DragEvent: new (type: string, init: object) => unknown;
        atob(text: string): string;
      };
      const transfer = new g.DataTransfer();
      for (const file of list) {
        const binary = g.atob(file.base64);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        transfer.items.add(new g.File([bytes], file.name, { type: file.type }));
      }
      for (const type of ["dragenter", "dragover", "drop"]) {
        (target as unknown as { dispatchEvent(event: unknown): void }).dispatchEvent(new g.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    }, encoded);
  }

  /** Pastes a picture the way a screenshot arrives from the clipboard: a file called "image.png". */
  async function pasteImage(page: Page, bytes: Buffer): Promise<void> {
    await page.evaluate(
      `(() => {
        const binary = atob(${JSON.stringify(bytes.toString("base64"))});
        const data = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], "image.png", { type: "image/png" }));
        document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
      })()`,
    );
  }

  test("files uploaded by the button, dropped on the view and pasted, with their progress, are read back over FTP byte for byte", async () => {
    const page = await open("fiona");
    await openFiles(page);
    const progress = await recordProgress(page);

    // A slow uplink, so the upload takes long enough for its progress to be reported on the way.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });

    const picked = randomBytes(3 * 1024 * 1024);
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await (await chooser).setFiles({ name: "picked.bin", mimeType: "application/octet-stream", buffer: picked });
    await page.getByRole("progressbar", { name: "Uploading picked.bin" }).waitFor();
    // The upload goes on while the user looks at a conversation, and is still listed back in Files.
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    await openFiles(page);
    await page.getByRole("listitem").filter({ hasText: "picked.bin" }).getByText("Uploaded").waitFor();
    const values = await progress();
    assert.equal(values.at(-1), 100, "the bar ends full");
    assert.ok(values.some((value) => value > 0 && value < 100), `the bar moved on the way: ${[...new Set(values)].join(", ")}`);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    const dropped = randomBytes(200_000);
    await dropFiles(page, [{ name: "dropped file.dat", type: "application/octet-stream", bytes: dropped }]);
    await page.getByRole("progressbar", { name: "Uploading dropped file.dat" }).waitFor();
    await fileList(page).getByRole("button", { name: "Download dropped file.dat" }).waitFor();
    await fileList(page).getByRole("button", { name: "Download picked.bin" }).waitFor();

    // A pasted screenshot gets a dated name, so two of them never replace each other.
    const screenshot = gradientPng(64, 48, [10, 120, 200], [200, 220, 40]);
    await pasteImage(page, screenshot);
    await fileList(page).getByRole("button", { name: /^Download pasted-\d{4}-\d\d-\d\d-\d{6}\.png$/ }).waitFor();

    const client = await ftp("fiona");
    assert.ok((await ftpRead(client, "/picked.bin")).equals(picked), "the picked file, over FTP, is the same bytes");
    assert.ok((await ftpRead(client, "/dropped file.dat")).equals(dropped), "the dropped file, over FTP, is the same bytes");
    const pasted = (await ftpNames(client, "/")).find((name) => name.startsWith("pasted-"));
    assert.ok(pasted && (await ftpRead(client, `/${pasted}`)).equals(screenshot), "the pasted picture, over FTP, is the same bytes");
    await page.context().close();
  });

  test("a file stored over FTP appears in the browser's list and downloads identical", async () => {
    const client = await ftp("gus");
    const bytes = randomBytes(150_000);
    await client.ensureDir("/from ftp");
    await client.uploadFrom(Readable.from([bytes]), "/from ftp/report.bin");

    const page = await open("gus");
    await openFiles(page);
    await fileList(page).getByRole("button", { name: "Open folder from ftp" }).click();
    await page.getByRole("navigation", { name: "Folder path" }).getByText("from ftp").waitFor();
    const entry = fileList(page).getByRole("listitem").filter({ hasText: "report.bin" });
    await entry.getByText("146 KB").waitFor();

    const download = page.waitForEvent("download");
    await fileList(page).getByRole("button", { name: "Download report.bin" }).click();
    const saved = await download;
    assert.equal(saved.suggestedFilename(), "report.bin");
    assert.ok((await readFile((await saved.path())!)).equals(bytes), "the download is the same bytes");

    // Back up by the breadcrumb; a file FTP adds meanwhile shows after a refresh.
    await page.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "Home" }).click();
    await client.uploadFrom(Readable.from([Buffer.from("late")]), "/late.txt");
    await page.getByRole("button", { name: "Refresh", exact: true }).click();
    await fileList(page).getByRole("button", { name: "Download late.txt" }).waitFor();
    await page.context().close();
  });

  test("new folder, rename and delete in the browser are what FTP sees", async () => {
    const client = await ftp("hana");
    await client.uploadFrom(Readable.from([Buffer.from("draft one")]), "/draft.txt");
    await client.uploadFrom(Readable.from([Buffer.from("old stuff")]), "/old.txt");
    const page = await open("hana");
    await openFiles(page);

    await page.getByRole("button", { name: "New folder", exact: true }).click();
    await page.getByRole("textbox", { name: "Folder name" }).fill("Reports 2026");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await fileList(page).getByRole("button", { name: "Open folder Reports 2026" }).waitFor();
    assert.deepEqual(await ftpNames(client, "/"), ["Reports 2026", "draft.txt", "old.txt"]);

    // A name that cannot be one is refused in the form, before any request.
    await fileList(page).getByRole("button", { name: "Rename draft.txt" }).click();
    const newName = page.getByRole("textbox", { name: "New name for draft.txt" });
    await newName.fill("a/b.txt");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "cannot contain" }).waitFor();
    await newName.fill("final.txt");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await fileList(page).getByRole("button", { name: "Download final.txt" }).waitFor();
    assert.deepEqual(await ftpNames(client, "/"), ["Reports 2026", "final.txt", "old.txt"]);
    assert.equal((await ftpRead(client, "/final.txt")).toString(), "draft one");

    // A rename onto an existing name is refused by the server, with its reason, and changes nothing.
    await fileList(page).getByRole("button", { name: "Rename old.txt" }).click();
    await page.getByRole("textbox", { name: "New name for old.txt" }).fill("final.txt");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("alert").first().waitFor();
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    assert.deepEqual(await ftpNames(client, "/"), ["Reports 2026", "final.txt", "old.txt"]);

    // Delete asks first; Cancel keeps the file, Delete removes it.
    await fileList(page).getByRole("button", { name: "Delete old.txt" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete old.txt?" });
    await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    assert.ok((await ftpNames(client, "/")).includes("old.txt"));
    await fileList(page).getByRole("button", { name: "Delete old.txt" }).click();
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await fileList(page).getByRole("button", { name: "Delete old.txt" }).waitFor({ state: "detached" });
    assert.deepEqual(await ftpNames(client, "/"), ["Reports 2026", "final.txt"]);

    // A folder with a file in it goes as a whole, after its own question.
    await fileList(page).getByRole("button", { name: "Open folder Reports 2026" }).click();
    await dropFiles(page, [{ name: "q1.txt", type: "text/plain", bytes: Buffer.from("q1 numbers") }]);
    await fileList(page).getByRole("button", { name: "Download q1.txt" }).waitFor();
    assert.equal((await ftpRead(client, "/Reports 2026/q1.txt")).toString(), "q1 numbers");
    await page.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "Home" }).click();
    await fileList(page).getByRole("button", { name: "Delete Reports 2026" }).click();
    await page.getByRole("dialog", { name: "Delete Reports 2026?" }).getByRole("button", { name: "Delete", exact: true }).click();
    await fileList(page).getByRole("button", { name: "Open folder Reports 2026" }).waitFor({ state: "detached" });
    assert.deepEqual(await ftpNames(client, "/"), ["final.txt"]);
    await page.context().close();
  });

  test("a shared image posted into #general shows inline for a member, and its link is 404 for a non-member", async () => {
    const jon = await open("jon"); // a member: joins #general on connect
    await conversationLink(jon, "#general").waitFor();

    const page = await open("ines"); // the browser is one more connection of ines
    await conversationLink(page, "#general").click();
    await page.getByRole("heading", { name: "#general", level: 2 }).waitFor();
    await openFiles(page);
    await dropFiles(page, [{ name: "sunset.png", type: "image/png", bytes: gradientPng(160, 100, [250, 120, 40], [60, 40, 140]) }]);
    await fileList(page).getByRole("button", { name: "Share sunset.png" }).click();
    await page.getByRole("status").filter({ hasText: "Shared sunset.png" }).waitFor();
    const url = await page.getByRole("status").getByRole("link").getAttribute("href");
    assert.match(url ?? "", new RegExp(`^${web.url}/f/[A-Za-z0-9_-]+/sunset\\.png$`));

    // The link went out as ines's message in #general (IRC sees it), and jon's browser shows the picture.
    await ines.waitRaw(new RegExp(`PRIVMSG #general :.*${url!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), STEP_TIMEOUT_MS);
    await conversationLink(jon, "#general").click();
    const preview = jon.getByRole("list", { name: "Messages" }).getByRole("img", { name: "sunset.png" });
    await preview.waitFor();
    await waitFor(() => preview.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth === 160), {
      timeoutMs: STEP_TIMEOUT_MS,
      what: "the preview decoded (160 px wide)",
    });

    // kim may not read #general: the link is 404 for her, exactly like a link that does not exist.
    const refused = await fetch(url!, { headers: { authorization: `Bearer ${tokens["kim"]}` } });
    assert.equal(refused.status, 404);
    const allowed = await fetch(url!, { headers: { authorization: `Bearer ${tokens["jon"]}` } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("content-type"), "image/png");
    await page.context().close();
    await jon.context().close();
  });

  test("search finds a message, opening the result shows it in its conversation, and the results wait for the way back", async () => {
    const lee = await IrcLibClient.connect(web.ircPort, "lee", { account: { account: "lee", password: PASSWORD } });
    irc.push(lee);
    lee.client.say("max", "the quarterly zebra report is ready");
    lee.client.say("max", "something else entirely");
    const page = await open("max");
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Search", exact: true }).click();
    const box = page.getByRole("searchbox", { name: "Search messages" });
    await box.fill("zebra");
    await box.press("Enter");
    const results = page.getByRole("list", { name: "Search results" });
    const hit = results.getByRole("listitem").filter({ hasText: "the quarterly zebra report is ready" });
    await hit.waitFor();
    assert.equal(await results.getByRole("listitem").count(), 1);
    assert.equal(await hit.locator("mark").innerText(), "zebra", "the matched word is marked");
    assert.deepEqual(await seriousAccessibilityFindings(page), [], "the search view");
    await hit.getByRole("button").click();
    await page.getByRole("heading", { name: "lee", level: 2 }).waitFor();
    await messageItem(page, "the quarterly zebra report is ready").waitFor();

    // Back in Search, the results are where they were.
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Search", exact: true }).click();
    await hit.waitFor();
    assert.equal(await box.inputValue(), "zebra");
    await page.context().close();
  });

  test("the files view has no serious accessibility problem, in light and in dark", async () => {
    const client = await ftp("fiona");
    await client.ensureDir("/albums");
    const page = await open("fiona");
    await openFiles(page);
    await fileList(page).getByRole("listitem").first().waitFor();
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      assert.deepEqual(await seriousAccessibilityFindings(page), [], `${colorScheme} files view`);
    }
    await fileList(page).getByRole("button", { name: "Delete albums" }).click();
    await page.getByRole("dialog", { name: "Delete albums?" }).waitFor();
    assert.deepEqual(await seriousAccessibilityFindings(page), [], "the delete question");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.context().close();
  });
});
