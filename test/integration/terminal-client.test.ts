/**
 * A real terminal IRC client (irssi) against the real server.
 *
 * irssi runs inside a detached tmux session on a private tmux socket, with its
 * own throwaway home directory and a config that keeps it off the network.
 * The test types into it with `tmux send-keys` and reads its screen with
 * `tmux capture-pane -p`, while a RawClient plays the person on the other end.
 * test/terminal-client.md shows how to repeat the session by hand.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, constants, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";

const run = promisify(execFile);

const NICK = "irssitest";
const PEER = "bob";
const TIMEOUT_MS = 10_000;
const POLL_MS = 100;

/** irssi config: no servers or networks to autoconnect to, no DCC, no proxy, no command throttling, nothing saved on exit. */
const IRSSI_CONFIG = `servers = ( );
chatnets = { };
channels = ( );
settings = {
  core = {
    real_name = "Irssi Tester";
    user_name = "${NICK}";
    nick = "${NICK}";
    settings_autosave = "no";
    awaylog_level = "none";
    use_proxy = "no";
  };
  "irc/core" = {
    cmd_queue_speed = "0";
    cmds_max_at_once = "100";
  };
  "fe-common/core" = {
    autolog = "no";
    beep_msg_level = "";
  };
  "irc/dcc" = {
    dcc_autoget = "no";
    dcc_autochat_masks = "";
  };
};
`;

/** tmux config: keep the pane (and its last screen) after irssi exits, no tmux status line. */
const TMUX_CONFIG = `set -g remain-on-exit on
set -g status off
set -g history-limit 5000
`;

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

async function requireBinaries(): Promise<void> {
  const missing: string[] = [];
  for (const name of ["irssi", "tmux"]) if (!(await onPath(name))) missing.push(name);
  if (missing.length > 0) {
    assert.fail(
      `terminal-client test needs ${missing.join(" and ")}, not found on PATH. ` +
        `.ci/run installs ${missing.length > 1 ? "them" : "it"} (apt-get install -y irssi tmux); on a dev machine run: sudo apt-get install -y irssi tmux`,
    );
  }
}

/**
 * A tmux server on its own socket, so the test never touches the user's sessions.
 * The socket lives in the test's temp dir (`-S`, the path form of `-L name`):
 * tmux does not unlink its socket on kill-server, and this way removing the
 * temp dir cleans it up.
 */
class Tmux {
  readonly session = "irssi";
  readonly #env: NodeJS.ProcessEnv;

  constructor(
    readonly socket: string,
    readonly configFile: string,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
    delete env.TMUX;
    env.TERM ??= "xterm-256color";
    this.#env = env;
  }

  async exec(...args: string[]): Promise<string> {
    const { stdout } = await run("tmux", ["-S", this.socket, "-f", this.configFile, ...args], { env: this.#env });
    return stdout;
  }

  start(cwd: string, command: readonly string[]): Promise<string> {
    return this.exec("new-session", "-d", "-s", this.session, "-x", "200", "-y", "50", "-c", cwd, "--", ...command);
  }

  /** Types text literally (no key-name interpretation), then presses Enter. */
  async type(text: string): Promise<void> {
    await this.exec("send-keys", "-t", this.session, "-l", text);
    await this.exec("send-keys", "-t", this.session, "Enter");
  }

  screen(): Promise<string> {
    return this.exec("capture-pane", "-p", "-J", "-t", this.session);
  }

  async paneDead(): Promise<boolean> {
    return (await this.exec("display-message", "-p", "-t", this.session, "#{pane_dead}")).trim() === "1";
  }

  async kill(): Promise<void> {
    try {
      await this.exec("kill-server");
    } catch {
      // already gone (or tmux was never there)
    }
  }
}

/** Polls until check() is truthy or the deadline passes; the failure message carries the last screen. */
async function until(tmux: Tmux, what: string, check: (screen: string) => boolean | Promise<boolean>): Promise<string> {
  const deadline = Date.now() + TIMEOUT_MS;
  let screen = "";
  for (;;) {
    screen = await tmux.screen().catch((error: unknown) => `<capture-pane failed: ${String(error)}>`);
    if (await check(screen)) return screen;
    if (Date.now() > deadline) assert.fail(`timed out after ${TIMEOUT_MS} ms waiting for ${what}; irssi screen:\n${screen}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** irssi's input prompt is the last non-empty line, e.g. "[#general]". */
function prompt(screen: string): string {
  return screen.trimEnd().split("\n").at(-1)?.trim() ?? "";
}

async function focus(tmux: Tmux, window: string): Promise<void> {
  await tmux.type(`/window goto ${window}`);
  await until(tmux, `irssi to focus ${window}`, (screen) => prompt(screen) === `[${window}]`);
}

/** RawClient.waitFor, with irssi's screen added to the failure message. */
async function peerSees(peer: RawClient, tmux: Tmux, pattern: RegExp): Promise<string> {
  try {
    return await peer.waitFor(pattern, TIMEOUT_MS);
  } catch (error) {
    const screen = await tmux.screen().catch(() => "<no screen>");
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nirssi screen:\n${screen}`);
  }
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test("irssi in tmux joins #general, talks to another client, sees the reply and quits", async () => {
  await requireBinaries();

  const home = await mkdtemp(join(tmpdir(), "cmy-irssi-"));
  const tmuxConf = join(home, "tmux.conf");
  await writeFile(join(home, "config"), IRSSI_CONFIG);
  await writeFile(tmuxConf, TMUX_CONFIG);
  const tmux = new Tmux(join(home, "tmux.sock"), tmuxConf);
  const mask = `:${NICK}!~${NICK}@127\\.0\\.0\\.1`;
  let peer: RawClient | undefined;

  try {
    peer = await RawClient.register(server.port, PEER);
    await peer.waitFor(new RegExp(`^:${PEER}!\\S+ JOIN #general$`), TIMEOUT_MS);

    // Start irssi unconnected first, so its own start-up complaints (a config it
    // does not understand, a missing module) are on screen and can be checked.
    await tmux.start(home, ["irssi", `--home=${home}`, "--noconnect", "-n", NICK]);
    // Start-up is over once the banner ("-!- Irssi v1.4.3 - https://irssi.org") is printed; config warnings come before it.
    const startup = await until(tmux, "irssi to start", (screen) => prompt(screen) === "[(status)]" && /-!- Irssi v\S+ - https:\/\/irssi\.org/.test(screen));
    assert.doesNotMatch(startup, /Unknown settings|[Ee]rror/, `irssi complained at start-up:\n${startup}`);

    await tmux.type(`/connect 127.0.0.1 ${server.port}`);

    // Registration and the server's auto-join, seen from both ends.
    await peerSees(peer, tmux, new RegExp(`^${mask} JOIN #general`));
    await until(tmux, "the welcome message", (screen) => screen.includes(`Welcome to the CmyMessage IRC Network ${NICK}!`));
    await focus(tmux, "#general");
    await until(tmux, "the #general join line", (screen) => screen.includes(`${NICK} [~${NICK}@127.0.0.1] has joined #general`));

    // A line typed into the channel window.
    await tmux.type("hello from irssi");
    await peerSees(peer, tmux, new RegExp(`^${mask} PRIVMSG #general :hello from irssi$`));

    // A direct message.
    await tmux.type(`/msg ${PEER} psst, just between us`);
    await peerSees(peer, tmux, new RegExp(`^${mask} PRIVMSG ${PEER} :psst, just between us$`));

    // The peer answers in the channel and in private; irssi shows both.
    await focus(tmux, "#general");
    peer.send(`PRIVMSG #general :hi ${NICK}, ${PEER} here`);
    await until(tmux, "the peer's channel reply", (screen) =>
      // irssi puts the nick's channel mode before it: "< bob>", "<@bob>" or "<+bob>".
      new RegExp(`<[ @+]?${PEER}> hi ${NICK}, ${PEER} here`).test(screen),
    );
    peer.send(`PRIVMSG ${NICK} :got your note`);
    await focus(tmux, PEER);
    await until(tmux, "the peer's private reply", (screen) => screen.includes(`<${PEER}> got your note`));

    // Quit with a reason; the peer sees it and irssi exits.
    await tmux.type("/quit bye");
    await peerSees(peer, tmux, new RegExp(`^${mask} QUIT :Quit: bye$`));
    await until(tmux, "irssi to exit", () => tmux.paneDead());
  } finally {
    peer?.close();
    await tmux.kill();
    await rm(home, { recursive: true, force: true });
  }
});
