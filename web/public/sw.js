// The client's service worker: Web Push notifications and their clicks. Plain JavaScript, served
// as-is at /sw.js (no build step, no imports), so it stays small and dependency-free.
//
// A push payload is the IRC line of the message (draft/webpush), e.g.
//   @time=2024-05-01T12:00:00.000Z;msgid=abc :alice!a@host PRIVMSG #general :bob: lunch?
// The server pushes direct messages and mentions to devices that are not connected.
// There is deliberately no fetch handler: the client is never served from a cache here.

"use strict";

const TAG_ESCAPES = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

/** The value of an IRCv3 message tag, unescaped. */
function unescapeTag(value) {
  return value.replace(/\\(.?)/g, (_, next) => (next in TAG_ESCAPES ? TAG_ESCAPES[next] : next));
}

/** A minimal IRC line parser: tags, source nick, command, parameters (the trailing one included). */
function parseIrcLine(line) {
  let rest = line.replace(/[\r\n]+$/, "");
  const tags = {};
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    for (const pair of rest.slice(1, space).split(";")) {
      const equals = pair.indexOf("=");
      if (equals < 0) tags[pair] = "";
      else tags[pair.slice(0, equals)] = unescapeTag(pair.slice(equals + 1));
    }
    rest = rest.slice(space + 1).trimStart();
  }
  let nick = "";
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    nick = rest.slice(1, space).split("!")[0].split("@")[0];
    rest = rest.slice(space + 1).trimStart();
  }
  const params = [];
  while (rest !== "") {
    if (rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const space = rest.indexOf(" ");
    if (space < 0) {
      params.push(rest);
      break;
    }
    params.push(rest.slice(0, space));
    rest = rest.slice(space + 1).trimStart();
  }
  const command = (params.shift() || "").toUpperCase();
  return command === "" ? null : { tags, nick, command, params };
}

// Bold, colours, italics and the like make no sense in a system notification.
const FORMATTING = /[\x02\x0f\x11\x16\x1d\x1e\x1f]|\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?/g;

function isChannel(target) {
  return /^[#&!+]/.test(target);
}

/** What to show for a pushed IRC line: title, body, and the conversation to open on click. */
function describe(line) {
  const message = line ? parseIrcLine(line) : null;
  if (!message || (message.command !== "PRIVMSG" && message.command !== "NOTICE") || message.params.length < 2) {
    return { title: "New message", body: "", conversation: "" };
  }
  const [target, rawText] = message.params;
  let text = rawText.replace(FORMATTING, "");
  const action = /^\x01ACTION ?(.*?)\x01?$/.exec(text);
  if (action) text = `* ${message.nick} ${action[1]}`;
  else text = text.replace(/\x01/g, "");
  const nick = message.nick || "Someone";
  if (isChannel(target)) return { title: `${nick} in ${target}`, body: text, conversation: target };
  return { title: nick, body: text, conversation: nick };
}

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  let line = "";
  try {
    line = event.data ? event.data.text() : "";
  } catch {
    line = "";
  }
  const { title, body, conversation } = describe(line);
  // Browsers require every push to show something (userVisibleOnly), so even an unreadable one does.
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      // One notification per conversation, the newest replacing the older, as the page does.
      tag: conversation ? `conversation:${conversation}` : "message",
      renotify: conversation !== "",
      data: { conversation },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conversation = (event.notification.data && event.notification.data.conversation) || "";
  const url = conversation ? `/#/c/${encodeURIComponent(conversation)}` : "/";
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        // The page switches to the conversation itself (web/src/notifications.ts listens).
        if (conversation) open.postMessage({ type: "open-conversation", conversation });
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
