import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { ChatCore } from "../core/chat/chat-core.js";
import type { MessageObserver } from "../core/chat/messaging.js";
import { LiveRegistrations } from "../core/push/live-registrations.js";
import { PushNotifier } from "../core/push/push-notifier.js";
import { PushSubscriptions } from "../core/push/push-subscriptions.js";
import type { IrcPush } from "../irc/server-context.js";
import { pushPayload } from "../irc/push-payload.js";
import type { Store } from "../store/database.js";
import { PushSubscriptionsRepository } from "../store/push-subscriptions-repository.js";
import type { ServerSecretsRepository } from "../store/server-secrets-repository.js";
import { checkEndpoint } from "./endpoint-policy.js";
import { loadVapidKeys } from "./vapid-keys.js";
import { WEB_PUSH_MAX_PAYLOAD_BYTES, WebPushSender } from "./web-push-sender.js";

export interface RunningPush {
  /** What the IRC adapter offers as draft/webpush. */
  readonly irc: IrcPush;
  /** To register with Messaging.observe: turns messages that went out into notifications. */
  readonly observe: MessageObserver;
  /** Abandons pending notifications and waits for the ones being settled (before the store closes). */
  stop(): Promise<void>;
}

/**
 * Web Push, put together: the VAPID keys from the database, the subscriptions store, the
 * endpoint guard and the sender (this folder), the decisions (core/push) and the payload
 * format (the IRC line, irc/push-payload.ts). `config` is read at each use, so REHASH applies.
 */
export async function startPush(options: { config: () => Config; core: ChatCore; store: Store; secrets: ServerSecretsRepository; log: Logger }): Promise<RunningPush> {
  const { config, core, store, log } = options;
  const vapid = await loadVapidKeys((name, make) => options.secrets.getOrCreate(name, make));
  const subscriptions = new PushSubscriptionsRepository(store.db, store.dialect);
  const live = new LiveRegistrations(core);
  const sender = new WebPushSender(
    vapid,
    () => {
      const { push, server } = config();
      return {
        subject: push.vapidSubject === "" ? `mailto:${server.adminEmail}` : push.vapidSubject,
        ttlSeconds: push.ttlSeconds,
        timeoutMs: push.requestTimeoutSeconds * 1000,
        maxConcurrent: push.maxConcurrentRequests,
        maxQueued: push.maxQueuedPushes,
        allowPrivate: push.allowPrivateEndpoints,
      };
    },
    log,
  );
  const notifier = new PushNotifier(
    core,
    subscriptions,
    live,
    sender,
    (event) => pushPayload(event, WEB_PUSH_MAX_PAYLOAD_BYTES),
    () => ({ enabled: config().push.enabled, maxQueued: config().push.maxQueuedPushes }),
    log,
  );
  const registrations = new PushSubscriptions(
    subscriptions,
    live,
    (endpoint) => checkEndpoint(endpoint, { allowPrivate: config().push.allowPrivateEndpoints }),
    () => ({ maxPerAccount: config().push.maxSubscriptionsPerAccount }),
  );
  return {
    irc: { subscriptions: registrations, vapidPublicKey: vapid.publicKey },
    observe: notifier.observe,
    async stop() {
      sender.stop();
      await notifier.idle();
    },
  };
}
