import { background } from "./background.js";
/**
 * Telling the user about mentions and direct messages when they are not looking.
 * - While a tab is open but hidden: the Notification API (notifyIfHidden).
 * - With no tab open: Web Push through the service worker (web/public/sw.js), subscribed here and
 *   registered with the server over IRC (`WEBPUSH REGISTER`, the app's job).
 * Everything fails softly: a browser without these APIs, a refused permission, or a machine with no
 * push service (offline test machines) just means no notification, never an error in the app.
 */

/** Where a notification click leads: the app's hash route of the conversation. */
export function conversationHash(conversation: string): string {
  return `#/c/${encodeURIComponent(conversation)}`;
}

/** How long to wait for the browser's push service before giving up (it can hang when offline). */
const PUSH_SUBSCRIBE_TIMEOUT_MS = 15_000;

function notificationsSupported(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

/** Asks for permission when not yet decided; true when notifications may be shown. */
export async function requestNotificationPermission(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  if (Notification.permission !== "default") return Notification.permission === "granted";
  try {
    return (await Notification.requestPermission()) === "granted";
  } catch {
    return false;
  }
}

function openConversation(conversation: string): void {
  window.focus();
  location.hash = conversationHash(conversation);
}

/**
 * Shows a notification only when the page is hidden (a visible page shows the message itself) and the
 * user allowed it. One notification per conversation: a newer one replaces the older (same tag).
 */
export function notifyIfHidden(n: { title: string; body: string; conversation: string }): void {
  if (!document.hidden || !notificationsSupported() || Notification.permission !== "granted") return;
  const options: NotificationOptions = { body: n.body, tag: `conversation:${n.conversation}`, data: { conversation: n.conversation } };
  try {
    const notification = new Notification(n.title, options);
    notification.onclick = () => {
      openConversation(n.conversation);
      notification.close();
    };
  } catch {
    // Android's Chrome refuses `new Notification` in a page; its service worker may still show one
    // (and sw.js handles the click).
    background(navigator.serviceWorker?.getRegistration().then((registration) => registration?.showNotification(n.title, options)).catch(() => undefined));
  }
}

let listeningToWorker = false;

/**
 * Registers /sw.js (push and notification clicks). The worker asks an already open tab to show a
 * conversation by message; the tab switches its route here, so the app needs no worker code.
 */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return null;
  if (!listeningToWorker) {
    listeningToWorker = true;
    navigator.serviceWorker.addEventListener("message", (event: MessageEvent<unknown>) => {
      const data = event.data as { type?: unknown; conversation?: unknown } | null;
      if (data?.type === "open-conversation" && typeof data.conversation === "string") openConversation(data.conversation);
    });
  }
  try {
    return await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch {
    return null;
  }
}

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/gu, "+").replace(/_/gu, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function bytesToBase64Url(buffer: ArrayBuffer | null): string {
  if (!buffer) return "";
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/gu, "-").replace(/\//gu, "_").replace(/=+$/u, "");
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const view = new Uint8Array(a);
  return view.every((byte, index) => byte === b[index]);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
    );
  });
}

async function subscribe(vapidPublicKey: string): Promise<{ endpoint: string; p256dh: string; auth: string } | null> {
  const registration = await registerServiceWorker();
  if (!registration || !("pushManager" in registration)) return null;
  if (!(await requestNotificationPermission())) return null;
  const applicationServerKey = base64UrlToBytes(vapidPublicKey);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made for another server key (the server's keys were remade) cannot carry our pushes.
  if (subscription && !sameKey(subscription.options.applicationServerKey, applicationServerKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  const p256dh = bytesToBase64Url(subscription.getKey("p256dh"));
  const auth = bytesToBase64Url(subscription.getKey("auth"));
  if (p256dh === "" || auth === "") return null;
  return { endpoint: subscription.endpoint, p256dh, auth };
}

/**
 * This browser's push subscription for the app, if it has one (null without push support or a
 * service worker, or when the browser does not answer within a few seconds). Signing out uses it
 * to tell the server to forget it, then ends it.
 */
export async function browserPushSubscription(): Promise<PushSubscription | null> {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || typeof window === "undefined" || !("PushManager" in window)) return null;
  const lookup = async (): Promise<PushSubscription | null> => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    return (await registration?.pushManager.getSubscription()) ?? null;
  };
  return withTimeout(lookup(), 3_000);
}

/**
 * Subscribes this browser to Web Push for the server's VAPID key (ISUPPORT `VAPID`). The keys come back
 * base64url-encoded, ready for `WEBPUSH REGISTER <endpoint> p256dh=...;auth=...`. Null when push is
 * unsupported, denied, or the browser's push service cannot be reached.
 */
export async function subscribePush(vapidPublicKey: string): Promise<{ endpoint: string; p256dh: string; auth: string } | null> {
  if (typeof window === "undefined" || !("PushManager" in window)) return null;
  return withTimeout(subscribe(vapidPublicKey), PUSH_SUBSCRIBE_TIMEOUT_MS);
}
