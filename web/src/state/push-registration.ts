import type { IrcClient } from "../irc/irc-client.js";

/** How long signing out waits for the server's answer to WEBPUSH UNREGISTER before it goes on. */
const UNREGISTER_TIMEOUT_MS = 3_000;

/** WEBPUSH REGISTER with a browser push subscription (draft/webpush). */
export function registerPush(client: IrcClient, subscription: { endpoint: string; p256dh: string; auth: string }): boolean {
  if (!client.caps.has("draft/webpush")) return false;
  // The keys are a message-tags-encoded list; base64url needs no escaping.
  return client.send("WEBPUSH", ["REGISTER", subscription.endpoint, `p256dh=${subscription.p256dh};auth=${subscription.auth}`]);
}

/**
 * WEBPUSH UNREGISTER for `endpoint`: true once the server said it is gone; false when this
 * connection cannot say it (not connected, no draft/webpush), the server refused, the
 * connection was lost, or no answer came within `timeoutMs`.
 */
export function unregisterPush(client: IrcClient, endpoint: string, timeoutMs = UNREGISTER_TIMEOUT_MS): Promise<boolean> {
  if (!client.caps.has("draft/webpush")) return Promise.resolve(false);
  return new Promise((resolve) => {
    const stops: Array<() => void> = [];
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      for (const stop of stops) stop();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    stops.push(
      client.on("message", ({ command, params }) => {
        if (command === "WEBPUSH" && params[0]?.toUpperCase() === "UNREGISTER" && params[1] === endpoint) done(true);
        // FAIL WEBPUSH <code> UNREGISTER <endpoint> :<text>
        else if (command === "FAIL" && params[0] === "WEBPUSH" && params[2]?.toUpperCase() === "UNREGISTER" && params[3] === endpoint) done(false);
      }),
      client.on("status", (status) => {
        if (status.state !== "ready") done(false);
      }),
    );
    if (!client.send("WEBPUSH", ["UNREGISTER", endpoint])) done(false);
  });
}
