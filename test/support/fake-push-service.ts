import type { TestSubscription } from "./push-endpoint.js";

/** What the page's stand-in push service records, read back with page.evaluate as `globalThis.fakePushService`. */
export interface FakePushServiceState {
  /** The subscription handed out, null before the first subscribe and once unsubscribed. */
  readonly current: object | null;
  /** base64url of the server key (VAPID) the app last subscribed with. */
  readonly applicationServerKey: string | null;
  readonly subscribeCalls: number;
  readonly unsubscribed: number;
}

/**
 * Page script standing in for the browser's push service, which headless Chromium on an offline
 * machine does not have: `PushManager.prototype.subscribe`/`getSubscription` hand the app a
 * PushSubscription-like object whose endpoint is `subscription`'s (the test's local push service,
 * push-endpoint.ts) and whose keys are the test's (it keeps the private key). State in
 * `globalThis.fakePushService` (FakePushServiceState). A string, not a function: it runs in the
 * page as written, untouched by the test's transpiler. Install with context.addInitScript.
 */
export function fakePushServiceScript(subscription: TestSubscription): string {
  const match = /^p256dh=([A-Za-z0-9_-]+);auth=([A-Za-z0-9_-]+)$/.exec(subscription.keys);
  if (!match) throw new Error(`subscription keys not in message-tag form: ${subscription.keys}`);
  const given = { endpoint: subscription.endpoint, p256dh: match[1], auth: match[2] };
  return `(() => {
  if (typeof PushManager === "undefined") return;
  const given = ${JSON.stringify(given)};
  const fromBase64Url = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64Url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const copy = (key) =>
    typeof key === "string" ? fromBase64Url(key) : ArrayBuffer.isView(key) ? key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) : key.slice(0);
  const state = { current: null, applicationServerKey: null, subscribeCalls: 0, unsubscribed: 0 };
  globalThis.fakePushService = state;
  PushManager.prototype.subscribe = async function (options = {}) {
    state.subscribeCalls += 1;
    const applicationServerKey = copy(options.applicationServerKey);
    state.applicationServerKey = toBase64Url(applicationServerKey);
    state.current = {
      endpoint: given.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: options.userVisibleOnly === true, applicationServerKey },
      getKey: (name) => (name === "p256dh" ? fromBase64Url(given.p256dh) : name === "auth" ? fromBase64Url(given.auth) : null),
      toJSON: () => ({ endpoint: given.endpoint, expirationTime: null, keys: { p256dh: given.p256dh, auth: given.auth } }),
      unsubscribe: async () => {
        state.current = null;
        state.unsubscribed += 1;
        return true;
      },
    };
    return state.current;
  };
  PushManager.prototype.getSubscription = async function () {
    return state.current;
  };
})();`;
}
