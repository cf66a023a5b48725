import type { Logger } from "pino";
import type { ChatCore } from "../chat/chat-core.js";
import type { MessageEvent } from "../chat/events.js";
import type { SentMessage } from "../chat/messaging.js";
import { foldCase } from "../chat/names.js";
import type { LiveRegistrations } from "./live-registrations.js";
import { mentionsFolded } from "./mentions.js";
import type { PushOutcome, PushPayloadFormatter, PushSender, PushSubscription, PushSubscriptionStore } from "./ports.js";
import { detached, ignoreFailure } from "../../detached.js";

export interface NotifierSettings {
  readonly enabled: boolean;
  /** Messages waiting for their subscriptions to be looked up; past this, new ones are dropped. */
  readonly maxQueued: number;
}

/** At most one "dropped" warning this often, so an overload does not become a log storm. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The accounts a message should notify: the recipient of a direct message (online or
 * not), and in a channel every member account whose nick or account name the text
 * mentions as a word. Never the sender's own account: what it sent needs no notice.
 */
export function pushRecipients(sent: SentMessage, core: ChatCore): string[] {
  const sender = sent.senderAccount;
  const conversation = sent.conversation;
  if (conversation.kind === "direct") {
    const recipient = conversation.recipientAccount;
    return recipient !== null && recipient !== sender ? [recipient] : [];
  }
  const channel = core.findChannel(conversation.name);
  if (!channel) return [];
  const text = foldCase(sent.event.text);
  let found: Set<string> | null = null;
  for (const member of channel.members.keys()) {
    if (member.account === null) continue;
    const account = foldCase(member.account);
    if (account === sender || found?.has(account)) continue;
    if (mentionsFolded(text, member.folded) || mentionsFolded(text, account)) (found ??= new Set()).add(account);
  }
  return found === null ? [] : [...found];
}

interface Job {
  readonly event: MessageEvent;
  /** Each account to notify, with the ids of its sessions that were connected when the message was sent. */
  readonly accounts: ReadonlyArray<{ readonly account: string; readonly online: ReadonlySet<string> }>;
}

/**
 * Turns messages that went out into Web Push notifications (an observer of Messaging).
 * Who is notified is decided at once, while channel membership and who is connected
 * are what they were when the message was sent; then, one message at a time and in
 * order, each of those accounts' subscriptions gets the payload, except one whose
 * registering session was connected then (that device showed the message itself).
 * A push service's "gone" deletes the subscription. Nothing is retried: a lost
 * notification is better than a retry storm against a push service in trouble.
 */
export class PushNotifier {
  readonly #queue: Job[] = [];
  #draining = false;
  #dropped = 0;
  #droppedLoggedAt = Number.NEGATIVE_INFINITY;
  /** Sends started and not yet settled; `idle()` waits for them (shutdown, before the store closes). */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly core: ChatCore,
    private readonly store: PushSubscriptionStore,
    private readonly live: LiveRegistrations,
    private readonly sender: PushSender,
    private readonly payload: PushPayloadFormatter,
    private readonly settings: () => NotifierSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Messaging observer: cheap, synchronous, never throws. */
  readonly observe = (sent: SentMessage): void => {
    const settings = this.settings();
    if (!settings.enabled) return;
    const accounts = pushRecipients(sent, this.core);
    if (accounts.length === 0) return;
    if (this.#queue.length >= settings.maxQueued) {
      this.#drop();
      return;
    }
    this.#queue.push({ event: sent.event, accounts: accounts.map((account) => ({ account, online: this.live.onlineSessions(account) })) });
    if (!this.#draining) detached(this.#drain(), (error) => this.log.error({ err: error }, "push queue failed"));
  };

  /** Waits until nothing is queued or being sent. */
  async idle(): Promise<void> {
    while (this.#draining || this.#inFlight.size > 0) {
      await Promise.all([...this.#inFlight, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  #drop(): void {
    this.#dropped++;
    const now = this.now();
    if (now - this.#droppedLoggedAt < DROP_LOG_INTERVAL_MS) return;
    this.log.warn({ dropped: this.#dropped }, "push notifications dropped: too many waiting (push.maxQueuedPushes)");
    this.#dropped = 0;
    this.#droppedLoggedAt = now;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        try {
          await this.#dispatch(job);
        } catch (error) {
          this.log.warn({ err: error }, "push subscriptions could not be read; notification dropped");
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #dispatch(job: Job): Promise<void> {
    let payload: string | null = null;
    for (const { account, online } of job.accounts) {
      for (const subscription of await this.store.ofAccount(account)) {
        if (this.live.wasOnline(account, subscription.endpoint, online)) continue;
        payload ??= this.payload(job.event);
        // Not awaited: the sender bounds and orders its requests; the next message need not wait for this one's.
        const sending = this.sender
          .send(subscription, payload)
          .then((outcome) => this.#settle(subscription, outcome))
          .catch((error: unknown) => this.log.warn({ err: error, account }, "push notification failed"));
        this.#inFlight.add(sending);
        detached(sending.finally(() => this.#inFlight.delete(sending)), ignoreFailure);
      }
    }
  }

  async #settle(subscription: PushSubscription, outcome: PushOutcome): Promise<void> {
    try {
      if (outcome === "gone") {
        this.live.forget(subscription.account, subscription.endpoint);
        await this.store.remove(subscription.account, subscription.endpoint);
        this.log.info({ account: subscription.account }, "push subscription expired at its push service; deleted");
      } else if (outcome === "delivered") {
        await this.store.markUsed(subscription.account, subscription.endpoint, this.now());
      }
    } catch (error) {
      this.log.warn({ err: error, account: subscription.account }, "push subscription could not be updated");
    }
  }
}
