import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import type { FrameworkClient } from "../support/framework-client.js";
import { VERSION } from "../../src/version.js";

const S = ":cmymessage\\.local";

async function rawJoin(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

/** The numerics (3-digit codes) among lines, in order. */
function codes(lines: readonly string[]): string[] {
  return lines.map((l) => / (\d{3}) /.exec(l)?.[1]).filter((c): c is string => c !== undefined);
}

/** Sends a command and returns every line up to and including the one matching `end`. */
async function collect(client: RawClient, command: string, end: RegExp): Promise<string[]> {
  client.lines.splice(0);
  client.send(command);
  const last = await client.waitFor(end);
  const lines = [...client.lines.splice(0), last];
  return lines;
}

test("WHO #channel: 352 per member with flags (H/G, @) and 315; WHO <nick>; WHO <mask>", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  await rawJoin(alice, "alice", "#w");
  const bob = await fx.raw("bob");
  await rawJoin(bob, "bob", "#w");
  bob.send("AWAY :lunch");
  await bob.waitFor(/ 306 /);
  const viewer = await fx.raw("viewer");

  const lines = await collect(viewer, "WHO #w", / 315 /);
  assert.deepEqual(lines, [
    `:cmymessage.local 352 viewer #w ~alice 127.0.0.1 cmymessage.local alice H@ :0 alice test`,
    `:cmymessage.local 352 viewer #w ~bob 127.0.0.1 cmymessage.local bob G :0 bob test`,
    `:cmymessage.local 315 viewer #w :End of WHO list`,
  ]);

  assert.deepEqual(await collect(viewer, "WHO alice", / 315 /), [
    `:cmymessage.local 352 viewer * ~alice 127.0.0.1 cmymessage.local alice H :0 alice test`,
    `:cmymessage.local 315 viewer alice :End of WHO list`,
  ]);
  const masked = await collect(viewer, "WHO b*", / 315 /);
  assert.deepEqual(codes(masked), ["352", "315"]);
  assert.match(masked[0]!, / bob G :0 bob test$/);
  assert.deepEqual(await collect(viewer, "WHO #nowhere", / 315 /), [`:cmymessage.local 315 viewer #nowhere :End of WHO list`]);
});

test("WHOX: WHO #channel %tnuhar,42 gives 354 with exactly those fields in spec order and the token", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  await rawJoin(alice, "alice", "#x");
  const viewer = await fx.raw("viewer");
  assert.deepEqual(await collect(viewer, "WHO #x %tnuhar,42", / 315 /), [
    `:cmymessage.local 354 viewer 42 ~alice 127.0.0.1 alice 0 :alice test`,
    `:cmymessage.local 315 viewer #x :End of WHO list`,
  ]);
  // Fields come in the spec's order whatever order they are asked in.
  const [line] = await collect(viewer, "WHO alice %rnt,7", / 315 /);
  assert.equal(line, `:cmymessage.local 354 viewer 7 alice :alice test`);
});

test("WHOX as irc-framework uses it (%tcuhsnfdaor with a token) parses into the right users", async (t) => {
  const fx = await setup(t);
  const [alice, bob, viewer] = (await fx.connectMany(["alice", "bob", "viewer"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  alice.client.join("#fw");
  await alice.waitFor("userlist", (e) => e.channel === "#fw");
  bob.client.join("#fw");
  await bob.waitFor("userlist", (e) => e.channel === "#fw");
  bob.client.raw("AWAY", "brb");
  await bob.waitFor("away", (e) => e.self);
  const list = await new Promise<{ target: string; users: Array<{ nick: string; ident: string; hostname: string; real_name: string; away: boolean; channel_modes: string[]; channel: string }> }>((resolve) =>
    viewer.client.who("#fw", resolve),
  );
  const byNick = new Map(list.users.map((u) => [u.nick, u]));
  assert.deepEqual([...byNick.keys()].sort(), ["alice", "bob"]);
  assert.equal(byNick.get("alice")!.ident, "~alice");
  assert.equal(byNick.get("alice")!.hostname, "127.0.0.1");
  assert.equal(byNick.get("alice")!.real_name, "alice test");
  assert.equal(byNick.get("alice")!.channel, "#fw");
  assert.deepEqual(byNick.get("alice")!.channel_modes, ["o"]);
  assert.equal(byNick.get("alice")!.away, false);
  assert.equal(byNick.get("bob")!.away, true);
});

test("WHOIS with no nick, or only empty items in its list, is 431; empty items before a nick are skipped", async (t) => {
  const fx = await setup(t);
  await fx.raw("target");
  const raw = await fx.raw("rawasker");
  for (const command of ["WHOIS ,", "WHOIS ,,", "WHOIS cmymessage.local ,", "WHOIS :", "WHOIS"]) {
    assert.deepEqual(await collect(raw, command, / (431|461|318) /), [`:cmymessage.local 431 rawasker :No nickname given`], command);
  }
  assert.deepEqual(codes(await collect(raw, "WHOIS ,target", / 318 /)), ["311", "319", "312", "317", "318"]);
  // Every reply names a nick: no empty parameter anywhere.
  await rawSync(raw);
  assert.deepEqual(raw.lines.filter((line) => /  /.test(line)), []);
});

test("WHOIS: 311, 319, 312, 317, 318 in order (irc-framework parses them); 301 when away; 401 + 318 for an unknown nick", async (t) => {
  const fx = await setup(t);
  const [target, asker] = (await fx.connectMany(["target", "asker"], { gecos: "Real Name Here" })) as [FrameworkClient, FrameworkClient];
  target.client.join("#extra");
  await target.waitFor("userlist", (e) => e.channel === "#extra");

  const info = await new Promise<{ nick: string; ident?: string; hostname?: string; real_name?: string; channels?: string; server?: string; idle?: string; logon?: string; secure?: boolean }>((resolve) =>
    asker.client.whois("target", resolve),
  );
  assert.equal(info.nick, "target");
  assert.equal(info.ident, "~target");
  assert.equal(info.hostname, "127.0.0.1");
  assert.equal(info.real_name, "Real Name Here");
  // Operator of the channel it made, not of the default channel (the server's) it joined first.
  assert.deepEqual(info.channels?.split(" ").sort(), ["#general", "@#extra"]);
  assert.equal(info.server, "cmymessage.local");
  assert.ok(Number(info.idle) >= 0 && Number(info.idle) < 60, `idle ${info.idle}`);
  assert.ok(Math.abs(Number(info.logon) - Date.now() / 1000) < 60, `signon ${info.logon}`);
  assert.equal(info.secure, undefined, "a plain-text connection is not 671");

  const raw = await fx.raw("rawasker");
  const lines = await collect(raw, "WHOIS target", / 318 /);
  assert.deepEqual(codes(lines), ["311", "319", "312", "317", "318"]);
  assert.equal(lines[0], `:cmymessage.local 311 rawasker target ~target 127.0.0.1 * :Real Name Here`);
  assert.match(lines[1]!, /^:cmymessage\.local 319 rawasker target :(#general @#extra|@#extra #general)$/);
  assert.equal(lines[2], `:cmymessage.local 312 rawasker target cmymessage.local :CmyMessage`);
  assert.match(lines[3]!, /^:cmymessage\.local 317 rawasker target \d+ \d+ :seconds idle, signon time$/);
  assert.equal(lines[4], `:cmymessage.local 318 rawasker target :End of /WHOIS list.`);

  target.client.raw("AWAY", "not here");
  await target.waitFor("away", (e) => e.self);
  const away = await collect(raw, "WHOIS target", / 318 /);
  assert.deepEqual(codes(away), ["311", "319", "312", "301", "317", "318"]);
  assert.equal(away[3], `:cmymessage.local 301 rawasker target :not here`);

  assert.deepEqual(await collect(raw, "WHOIS ghost", / 318 /), [
    `:cmymessage.local 401 rawasker ghost :No such nick/channel`,
    `:cmymessage.local 318 rawasker ghost :End of /WHOIS list.`,
  ]);
  const missing = await new Promise<{ error?: string }>((resolve) => asker.client.whois("ghost", resolve));
  assert.equal(missing.error, "not_found");

  // WHOIS <server> <nick> asks about the nick; a WHOIS of oneself adds 338 (the real address).
  assert.deepEqual(codes(await collect(raw, "WHOIS cmymessage.local target", / 318 /)), ["311", "319", "312", "301", "317", "318"]);
  const self = await collect(raw, "WHOIS rawasker", / 318 /);
  assert.ok(codes(self).includes("338"));
  assert.match(self.find((l) => / 338 /.test(l))!, / 338 rawasker rawasker 127\.0\.0\.1 :is actually using host$/);
});

test("WHOWAS: 314 + 312 + 369 for a user who left, 406 + 369 for a nick never seen", async (t) => {
  const fx = await setup(t);
  const gone = await fx.raw("gone");
  const viewer = await fx.raw("viewer");
  gone.send("QUIT :bye");
  await viewer.waitFor(/^:gone!~gone@127\.0\.0\.1 QUIT :Quit: bye$/);
  const lines = await collect(viewer, "WHOWAS gone", / 369 /);
  assert.deepEqual(codes(lines), ["314", "312", "369"]);
  assert.equal(lines[0], `:cmymessage.local 314 viewer gone ~gone 127.0.0.1 * :gone test`);
  assert.match(lines[1]!, /^:cmymessage\.local 312 viewer gone cmymessage\.local :\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.equal(lines[2], `:cmymessage.local 369 viewer gone :End of WHOWAS`);
  // Case does not matter.
  assert.deepEqual(codes(await collect(viewer, "WHOWAS GONE", / 369 /)), ["314", "312", "369"]);

  assert.deepEqual(await collect(viewer, "WHOWAS never", / 369 /), [
    `:cmymessage.local 406 viewer never :There was no such nickname`,
    `:cmymessage.local 369 viewer never :End of WHOWAS`,
  ]);
  viewer.send("WHOWAS");
  await viewer.waitFor(/ 461 viewer WHOWAS /);
});

test("WHOWAS also knows a nick given up by a NICK change (RFC 2812 3.6.3)", async (t) => {
  const fx = await setup(t);
  const renamer = await fx.raw("oldname");
  renamer.send("NICK newname");
  await renamer.waitFor(/ NICK :?newname$/);
  const viewer = await fx.raw("viewer");
  const lines = await collect(viewer, "WHOWAS oldname", / 369 /);
  assert.deepEqual(codes(lines), ["314", "312", "369"], `got:\n${lines.join("\n")}`);
  assert.equal(lines[0], `:cmymessage.local 314 viewer oldname ~oldname 127.0.0.1 * :oldname test`);
});

test("ISON lists who is online (as the server spells them); USERHOST gives nick=±user@host with * for opers", async (t) => {
  const fx = await setup(t);
  const [, bob, viewer] = (await fx.connectMany(["alice", "Bob", "viewer"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  viewer.client.raw("ISON", "alice", "ghost", "bob");
  assert.deepEqual((await viewer.waitFor("users online")).nicks, ["alice", "Bob"]);
  assert.match(await viewer.waitRaw(/ 303 /), new RegExp(`^${S} 303 viewer :alice Bob$`));
  viewer.client.raw("ISON", "ghost");
  assert.match(await viewer.waitRaw(/ 303 /), new RegExp(`^${S} 303 viewer :$`));

  bob.client.raw("AWAY", "out");
  await bob.waitFor("away", (e) => e.self);
  viewer.client.raw("USERHOST", "alice", "bob", "ghost");
  assert.match(await viewer.waitRaw(/ 302 /), new RegExp(`^${S} 302 viewer :alice=\\+~alice@127\\.0\\.0\\.1 Bob=-~Bob@127\\.0\\.0\\.1$`));
});

test("LUSERS counts users, invisible users, unknown connections and channels", async (t) => {
  const fx = await setup(t);
  const a = await fx.raw("a");
  const b = await fx.raw("b");
  b.send("MODE b +i");
  await b.waitFor(/ MODE b :?\+i$/);
  await rawJoin(a, "a", "#one");
  await fx.rawConnect(); // connected, never registers
  const out = await collect(a, "LUSERS", / 266 /);
  assert.deepEqual(out, [
    `:cmymessage.local 251 a :There are 1 users and 1 invisible on 1 server`,
    `:cmymessage.local 252 a 0 :operator(s) online`,
    `:cmymessage.local 253 a 1 :unknown connection(s)`,
    `:cmymessage.local 254 a 2 :channels formed`,
    `:cmymessage.local 255 a :I have 2 clients and 0 servers`,
    `:cmymessage.local 265 a 2 2 :Current local users 2, max 2`,
    `:cmymessage.local 266 a 2 2 :Current global users 2, max 2`,
  ]);
});

test("MOTD, VERSION, TIME, ADMIN, INFO and HELP answer with their numerics; another server name gets 402", async (t) => {
  const fx = await setup(t, { server: { motd: "First line\nSecond line", adminName: "Ada Admin", adminEmail: "ada@example.org" } });
  const c = await fx.raw("asker");

  assert.deepEqual(await collect(c, "MOTD", / 376 /), [
    `:cmymessage.local 375 asker :- cmymessage.local Message of the day - `,
    `:cmymessage.local 372 asker :- First line`,
    `:cmymessage.local 372 asker :- Second line`,
    `:cmymessage.local 376 asker :End of /MOTD command.`,
  ]);
  assert.deepEqual(await collect(c, "MOTD other.server", / 402 /), [`:cmymessage.local 402 asker other.server :No such server`]);

  c.lines.splice(0);
  c.send("VERSION");
  await rawSync(c);
  const version = c.lines.splice(0).filter((l) => !/ PONG /.test(l));
  assert.equal(version[0], `:cmymessage.local 351 asker cmymessage-${VERSION} cmymessage.local :CmyMessage: IRC, web and FTP on one core`);
  assert.ok(version.slice(1).every((l) => / 005 asker .* :are supported by this server$/.test(l)));

  const time = await collect(c, "TIME", / 391 /);
  const parsed = new RegExp(`^${S} 391 asker cmymessage\\.local (\\d+) 0 :(.+)$`).exec(time[0]!);
  assert.ok(parsed, time[0]);
  assert.ok(Math.abs(Number(parsed[1]) - Date.now() / 1000) < 5);
  assert.ok(Math.abs(Date.parse(parsed[2]!) - Date.now()) < 5000, parsed[2]);

  assert.deepEqual(await collect(c, "ADMIN", / 259 /), [
    `:cmymessage.local 256 asker cmymessage.local :Administrative info`,
    `:cmymessage.local 257 asker :Ada Admin`,
    `:cmymessage.local 258 asker :CmyMessage`,
    `:cmymessage.local 259 asker :ada@example.org`,
  ]);

  const info = await collect(c, "INFO", / 374 /);
  assert.ok(info.length >= 2);
  assert.ok(info.slice(0, -1).every((l) => / 371 asker :/.test(l)));
  assert.match(info[0]!, new RegExp(`371 asker :CmyMessage ${VERSION.replace(/\./g, "\\.")}$`));
  assert.equal(info.at(-1), `:cmymessage.local 374 asker :End of /INFO list.`);

  const help = await collect(c, "HELP", / 706 /);
  assert.match(help[0]!, / 704 asker \* :/);
  assert.equal(help.at(-1), `:cmymessage.local 706 asker * :End of /HELP`);
  const listed = help
    .filter((l) => / 705 /.test(l))
    .flatMap((l) => l.split(" :")[1]!.split(" "));
  for (const command of ["JOIN", "PRIVMSG", "WHO", "WHOIS", "MODE", "CAP", "OPER", "KILL"]) assert.ok(listed.includes(command), command);
  assert.deepEqual(await collect(c, "HELP join", / 706 /), [
    `:cmymessage.local 704 asker JOIN :JOIN <#channel>[,<#channel>…] [<key>[,<key>…]]`,
    `:cmymessage.local 705 asker JOIN :join channels; JOIN 0 leaves them all`,
    `:cmymessage.local 706 asker JOIN :End of /HELP`,
  ]);
  assert.deepEqual(await collect(c, "HELP nonsense", / 524 /), [`:cmymessage.local 524 asker NONSENSE :No help available on this topic`]);
});

test("HELP <command> answers 704, 705 and 706 for every command the server knows; HELPOP is the same as HELP", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("helper");
  const listed = (await collect(c, "HELP", / 706 /)).filter((l) => / 705 /.test(l)).flatMap((l) => l.split(" :")[1]!.split(" "));
  assert.ok(listed.includes("HELPOP"));
  assert.ok(listed.length > 30, listed.join(" "));
  for (const command of listed) {
    const lines = await collect(c, `HELP ${command.toLowerCase()}`, new RegExp(` (706|524) helper ${command} `));
    assert.deepEqual(codes(lines), ["704", "705", "706"], `HELP ${command}:\n${lines.join("\n")}`);
    assert.ok(lines[0]!.includes(` 704 helper ${command} :${command}`), lines[0]);
  }
  const viaHelpop = await collect(c, "HELPOP PRIVMSG", / 706 /);
  assert.deepEqual(viaHelpop, await collect(c, "HELP PRIVMSG", / 706 /));
  assert.deepEqual(await collect(c, "HELPOP nothing", / 524 /), [`:cmymessage.local 524 helper NOTHING :No help available on this topic`]);
  assert.deepEqual(codes(await collect(c, "HELPOP", / 706 /)).slice(0, 1), ["704"]);
});

test("an empty MOTD gives 422, at registration and on request", async (t) => {
  const fx = await setup(t, { server: { motd: "  " } });
  const c = await fx.rawConnect();
  c.send("NICK nomotd");
  c.send("USER nomotd 0 * :x");
  assert.match(await c.waitFor(/ 422 /), new RegExp(`^${S} 422 nomotd :MOTD File is missing$`));
  c.send("MOTD");
  await c.waitFor(/ 422 nomotd /);
  await rawSync(c);
  assert.equal(c.lines.filter((l) => / 37[256] /.test(l)).length, 0);
});

test("PING is answered with PONG carrying the token, before and after registration", async (t) => {
  const fx = await setup(t);
  const c = await fx.rawConnect();
  c.send("PING early");
  assert.equal(await c.waitFor(/ PONG /), `:cmymessage.local PONG cmymessage.local early`);
  c.send("NICK pinger");
  c.send("USER pinger 0 * :x");
  await c.waitFor(/ 376 /);
  c.send("PING :with spaces in it");
  assert.equal(await c.waitFor(/ PONG /), `:cmymessage.local PONG cmymessage.local :with spaces in it`);
  c.send("PING");
  assert.equal(await c.waitFor(/ 461 /), `:cmymessage.local 461 pinger PING :Not enough parameters`);
});

test("the server PINGs an idle client and drops it with 'Ping timeout' when it does not answer; one that answers stays", async (t) => {
  const fx = await setup(t, { irc: { pingIntervalSeconds: 0.3, pingTimeoutSeconds: 0.4 } });
  const silent = await fx.raw("silent");
  const lively = await fx.raw("lively");
  assert.equal(await silent.waitFor(/^:\S+ PING /), `:cmymessage.local PING cmymessage.local`);
  // "lively" answers every PING the moment it arrives.
  lively.socket.on("data", (chunk: string) => {
    for (const match of chunk.matchAll(/^:\S+ PING (\S+)\r$/gm)) lively.send(`PONG ${match[1]!}`);
  });
  await lively.waitFor(/^:\S+ PING /);
  assert.match(await silent.waitFor(/^ERROR /, 3000), /^ERROR :Closing link: 127\.0\.0\.1 \(Ping timeout: \d+ seconds\)$/);
  await silent.closed;
  assert.match(await lively.waitFor(/ QUIT /, 3000), /^:silent!~silent@127\.0\.0\.1 QUIT :Ping timeout: \d+ seconds$/);
  assert.equal(lively.isClosed, false);
  await rawSync(lively);
});

test("a connection that does not register in time is closed with 'Registration timed out'", async (t) => {
  const fx = await setup(t, { irc: { registrationTimeoutSeconds: 0.4 } });
  const c = await fx.rawConnect();
  c.send("NICK slowpoke");
  assert.match(await c.waitFor(/^ERROR /, 3000), /^ERROR :Closing link: 127\.0\.0\.1 \(Registration timed out\)$/);
  await c.closed;
  assert.equal(c.lines.filter((l) => / 001 /.test(l)).length, 0);
});

test("a graceful server stop tells every client why with ERROR and closes the connections", async (t) => {
  const fx = await setup(t);
  const raw = await fx.raw("stayer");
  const fw = await fx.connect("fwstayer");
  await fx.server.stop();
  assert.equal(await raw.waitFor(/^ERROR /), "ERROR :Closing link: 127.0.0.1 (Server shutting down)");
  await raw.closed;
  await fw.closed;
  assert.ok(fw.raw.includes("ERROR :Closing link: 127.0.0.1 (Server shutting down)"));
});

test("INFO names the software and when it started, not the runtime's exact version", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("infoasker");
  c.send("INFO");
  await c.waitFor(/ 374 infoasker /);
  const lines = c.lines.filter((l) => / 371 infoasker /.test(l));
  assert.ok(lines.some((l) => /CmyMessage /.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /Running since /.test(l)), lines.join("\n"));
  assert.ok(!lines.some((l) => l.includes(process.version)), lines.join("\n"));
});
