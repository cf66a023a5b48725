import type { ClientTags, MessageEvent, MessageKind } from "./events.js";
import type { ChatCore, MessageDestination } from "./chat-core.js";
import type { ChatUser } from "./user.js";
import type { MemberMode } from "./channel.js";
import type { HistoryWriter } from "./history-writer.js";
import { directKey, toStored } from "./history.js";
import { foldCase } from "./names.js";
import { fail, type Failure } from "./results.js";
import { exceedsMessageSize } from "./message-size.js";
import { Observers } from "./observers.js";
import { SerialQueues } from "../../serial-queues.js";

/** Whether an account name exists; the accounts domain answers it. */
export interface AccountDirectory {
  exists(name: string): Promise<boolean>;
}

/**
 * A message that was stored (when history is on) and delivered: what features
 * built beside chat (file shares, push notifications) observe. Plain data.
 */
export interface SentMessage {
  readonly event: MessageEvent;
  /** The sender's account, folded; null for a guest. */
  readonly senderAccount: string | null;
  readonly conversation:
    | { readonly kind: "channel"; readonly folded: string; readonly name: string }
    | { readonly kind: "direct"; readonly recipientAccount: string | null; readonly recipientNick: string };
  /** True when the recipient was offline and the message was kept for it. */
  readonly offline: boolean;
}

/** Called after a message went out; must be cheap and must not throw (a throw is swallowed). */
export type MessageObserver = (sent: SentMessage) => void;

type Destination = MessageDestination | Failure<"no-such-nick" | "no-such-channel" | "cannot-send">;

export type SendResult =
  | { ok: true; event: MessageEvent; recipient: ChatUser | null; offline: boolean }
  | Failure<"no-such-nick" | "no-such-channel" | "cannot-send" | "unavailable" | "message-too-long">;

/** The history key of one side of a direct conversation: its account, or "~nick" for a guest. */
export function partyKey(account: string | null, nick: string): string {
  return account !== null ? foldCase(account) : `~${foldCase(nick)}`;
}

/** Settles a wait whatever its outcome: only its end matters. */
function ignore(): void {}

/** Whether `user` is logged in to the account its nick names (so owns the nick, if it is registered). */
/** How long the answer "is this nick an account's name" is trusted for one holder of the nick. */
const NICK_ACCOUNT_MEMORY_MS = 10_000;

function ownsItsNick(user: ChatUser): boolean {
  return user.account !== null && foldCase(user.account) === user.folded;
}

/**
 * Sending a message: check, store, then deliver. A message is in history before
 * anyone sees it, so what a recipient saw is never missing from history; if it
 * cannot be stored it is not delivered and the sender is told.
 *
 * Direct messages are stored when at least one side has an account (only account
 * holders can read them back), and a message to a registered account that is
 * offline is kept for it and shown when it next logs in. A registered nick held by
 * someone not logged in to its account (nick enforcement gives a guest a grace period)
 * does not make its holder the recipient: the message goes to the account.
 */
export class Messaging {
  readonly #observers = new Observers<SentMessage>();
  /** Each sender's last pending account look-up (see #inSenderOrder). */
  readonly #lookups = new SerialQueues<ChatUser>(new WeakMap());
  /** What #nickIsAccount last learnt of each holder (weak: a user that leaves takes its entry along). */
  readonly #nickAccounts = new WeakMap<ChatUser, { readonly folded: string; readonly registered: boolean; readonly at: number }>();
  /** The look-up in flight for each holder: the messages that arrive before it answers wait for it instead of each asking again. */
  readonly #nickAccountLookups = new WeakMap<ChatUser, { readonly folded: string; readonly registered: Promise<boolean> }>();
  /**
   * Each sender's last message still on its way (being stored, its recipient looked up, or
   * waiting behind one that is), while there is one: the next is delivered after it, so every
   * recipient sees what one sender sent in the order sent, stored or not. With none (the
   * usual case) a message that needs no storage is delivered at once, at no cost.
   */
  readonly #onItsWay = new WeakMap<ChatUser, Promise<SendResult>>();

  constructor(
    private readonly core: ChatCore,
    private readonly writer: HistoryWriter | null,
    private readonly accounts: AccountDirectory,
  ) {}

  get historyEnabled(): boolean {
    return this.writer !== null;
  }

  /** Adds an observer of every PRIVMSG/NOTICE that went out (not TAGMSG, not STATUSMSG). */
  observe(observer: MessageObserver): void {
    this.#observers.add(observer);
  }

  #notify(sent: SentMessage): void {
    if (sent.event.kind !== "tagmsg") this.#observers.notify(sent);
  }

  /**
   * `fromSession`: the sending session, which gets no copy (it echoes itself); the sender's other sessions do.
   * Answers at once when nothing has to wait (no storage, no account look-up, none of the sender's
   * messages still on its way): a direct message between guests costs no promise; a promise when
   * the message is stored, a look-up runs or it waits its turn behind the sender's earlier messages.
   */
  send(user: ChatUser, target: string, kind: MessageKind, text: string, tags: ClientTags | null, fromSession: string | null = null): SendResult | Promise<SendResult> {
    // One size limit for every door (message-size.ts): a message over it is refused whole, never cut.
    if (exceedsMessageSize(kind, text, this.core.limits)) return fail("message-too-long");
    // Taken now: what the sender sent before this message, whatever it waits for itself.
    const after = this.#onItsWay.get(user);
    const destination = this.core.resolveTarget(user, target);
    const holder = destination.ok ? destination.recipient : null;
    if (holder !== null && holder !== user && !ownsItsNick(holder)) {
      // Someone on a nick that may be a registered account's (a guest in its nick
      // enforcement grace, or a user logged in to another account): the message is
      // the account's, never the holder's.
      const known = this.#knownNickIsAccount(user, holder);
      if (known === null) {
        return this.#inTurn(
          user,
          this.#nickIsAccount(user, holder).then(
            (registered) => this.#sendResolved(user, target, registered ? fail("no-such-nick") : destination, registered, kind, text, tags, fromSession, after, false),
            () => fail("unavailable"),
          ),
        );
      }
      return this.#sendResolved(user, target, known ? fail("no-such-nick") : destination, known, kind, text, tags, fromSession, after, true);
    }
    return this.#sendResolved(user, target, destination, null, kind, text, tags, fromSession, after, true);
  }

  /**
   * `registered`: whether the target nick is an account's, when that was asked. `after`: the
   * sender's message on its way when this one was sent, delivered first. `inTurn`: whether a
   * promise made here is the sender's last message on its way (false when the caller's is).
   */
  #sendResolved(
    user: ChatUser,
    target: string,
    resolved: Destination,
    registered: boolean | null,
    kind: MessageKind,
    text: string,
    tags: ClientTags | null,
    fromSession: string | null,
    after: Promise<SendResult> | undefined,
    inTurn: boolean,
  ): SendResult | Promise<SendResult> {
    let destination = resolved;
    const stored = kind !== "tagmsg" && this.writer !== null;
    if (!destination.ok && destination.reason === "no-such-nick" && !target.startsWith("#")) {
      // A message to an account whose owner is online under another nick reaches them there.
      const owner = this.core.usersOfAccount(foldCase(target))[0];
      if (owner) destination = { ok: true, channel: null, recipient: owner };
      else if (stored) {
        const offline = this.#sendOffline(user, target, kind, text, tags, fromSession, registered, after);
        return inTurn ? this.#inTurn(user, offline) : offline;
      }
    }
    // A refusal only the sender hears: at once.
    if (!destination.ok) return destination;
    const reached = destination;
    const event = this.core.newMessage(user, reached.channel?.name ?? reached.recipient!.nick, kind, text, tags);
    if (stored) {
      const recipient = reached.recipient;
      const record = reached.channel
        ? toStored(event, reached.channel.folded, user.account, null)
        : recipient!.account !== null || user.account !== null
          ? toStored(event, directKey(partyKey(user.account, user.nick), partyKey(recipient!.account, recipient!.nick)), user.account, recipient!.account && foldCase(recipient!.account))
          : null;
      if (record) {
        const written = this.writer!.append(record);
        if (after !== undefined) {
          const delivered = this.#deliverWhenWritten(after, written, () => this.#deliver(user, event, reached, fromSession));
          return inTurn ? this.#inTurn(user, delivered) : delivered;
        }
        // The usual stored message: its own callbacks end its turn, no promise added.
        const delivered: Promise<SendResult> = written.then(
          () => {
            this.#turnEnded(user, delivered);
            return this.#deliver(user, event, reached, fromSession);
          },
          () => {
            this.#turnEnded(user, delivered);
            return fail("unavailable");
          },
        );
        if (inTurn) this.#onItsWay.set(user, delivered);
        return delivered;
      }
    }
    if (after !== undefined) {
      const deliver = (): SendResult => this.#deliver(user, event, reached, fromSession);
      const delivered = after.then(deliver, deliver);
      return inTurn ? this.#inTurn(user, delivered) : delivered;
    }
    return this.#deliver(user, event, reached, fromSession);
  }

  /** Makes `delivery` the sender's last message on its way until it is done; the promise to answer the sender with. */
  #inTurn(user: ChatUser, delivery: Promise<SendResult>): Promise<SendResult> {
    const delivered: Promise<SendResult> = delivery.then(
      (result) => {
        this.#turnEnded(user, delivered);
        return result;
      },
      (error: unknown) => {
        this.#turnEnded(user, delivered);
        throw error;
      },
    );
    this.#onItsWay.set(user, delivered);
    return delivered;
  }

  /** `delivered` is done: if the sender sent nothing after it, it has nothing on its way. */
  #turnEnded(user: ChatUser, delivered: Promise<SendResult>): void {
    if (this.#onItsWay.get(user) === delivered) this.#onItsWay.delete(user);
  }

  /** Delivers once `after` is done and the message `written`; a message that could not be stored is not delivered. */
  #deliverWhenWritten(after: Promise<SendResult>, written: Promise<void>, deliver: () => SendResult): Promise<SendResult> {
    // Settled into a flag at once: a refused write must not go unhandled while it waits its turn.
    const stored = written.then(
      () => true,
      () => false,
    );
    const inOrder = (): Promise<SendResult> => stored.then((ok) => (ok ? deliver() : fail("unavailable")));
    return after.then(inOrder, inOrder);
  }

  #deliver(user: ChatUser, event: MessageEvent, destination: MessageDestination, fromSession: string | null): SendResult {
    // The sender may have quit while the message was being stored: nobody may see
    // a message after its sender's QUIT.
    if (!this.core.isOnline(user)) return fail("unavailable");
    this.core.deliverMessage(event, destination, user, fromSession);
    if (this.#observers.size > 0) {
      const recipient = destination.recipient;
      this.#notify({
        event,
        senderAccount: user.account && foldCase(user.account),
        conversation: destination.channel
          ? { kind: "channel", folded: destination.channel.folded, name: destination.channel.name }
          : { kind: "direct", recipientAccount: recipient!.account && foldCase(recipient!.account), recipientNick: recipient!.nick },
        offline: false,
      });
    }
    return { ok: true, event, recipient: destination.recipient, offline: false };
  }

  /**
   * STATUSMSG (`@#chan`, `+#chan`): a channel message only for its members of at least
   * `minimum` status, sent under the same rules as a message to the channel. It is not
   * stored: channel history is read by every member, and this message was not for them.
   * `target` is what recipients see (the status prefix and the channel name).
   */
  sendToStatus(
    user: ChatUser,
    channelName: string,
    minimum: MemberMode,
    prefix: string,
    kind: MessageKind,
    text: string,
    tags: ClientTags | null,
    fromSession: string | null = null,
  ): SendResult | Promise<SendResult> {
    if (exceedsMessageSize(kind, text, this.core.limits)) return fail("message-too-long");
    const destination = this.core.resolveTarget(user, channelName);
    if (!destination.ok) return destination;
    const channel = destination.channel;
    if (!channel) return fail("no-such-channel");
    const event = this.core.newMessage(user, `${prefix}${channel.name}`, kind, text, tags);
    const after = this.#onItsWay.get(user);
    if (after === undefined) {
      this.core.deliverToStatus(channel, event, minimum, fromSession);
      return { ok: true, event, recipient: null, offline: false };
    }
    // Behind the sender's channel message still being stored: never before it.
    const deliver = (): SendResult => {
      if (!this.core.isOnline(user)) return fail("unavailable");
      this.core.deliverToStatus(channel, event, minimum, fromSession);
      return { ok: true, event, recipient: null, offline: false };
    };
    return this.#inTurn(user, after.then(deliver, deliver));
  }

  /**
   * Runs an account look-up for `user` after its earlier ones: look-ups may finish out
   * of order (a PostgreSQL pool), and a sender's messages to one nick must keep their order.
   */
  #inSenderOrder<T>(user: ChatUser, lookup: () => Promise<T>): Promise<T> {
    return this.#lookups.run(user, lookup);
  }

  /**
   * Whether `holder`'s nick is a registered account's name. Asked of the database once per
   * holder and nick, then remembered for NICK_ACCOUNT_MEMORY_MS: without it every direct
   * message to a guest cost an account lookup, a third of the server's work per message.
   * An account made for that name meanwhile (elsewhere: HTTP, another node) is seen when
   * the answer expires.
   */
  async #nickIsAccount(sender: ChatUser, holder: ChatUser): Promise<boolean> {
    const now = Date.now();
    const known = this.#remembered(holder, now);
    if (known !== null) {
      // Behind the sender's lookups still in flight, never ahead of them: its messages keep their order.
      return this.#lookups.busy(sender) ? this.#inSenderOrder(sender, () => Promise.resolve(known)) : known;
    }
    // The nick as it is now: the answer is remembered under it, though the look-up may run later.
    const { nick, folded } = holder;
    const inFlight = this.#nickAccountLookups.get(holder);
    // A window of messages to a new guest arrives before the first look-up answers: without
    // this each asked the database again (a fresh server's direct bench: 10,500 look-ups for
    // 500 recipients). Waiting in the sender's own order keeps its messages in order.
    if (inFlight && inFlight.folded === folded) return this.#inSenderOrder(sender, () => inFlight.registered);
    const registered = this.#inSenderOrder(sender, () => this.accounts.exists(nick));
    const lookup = { folded, registered };
    this.#nickAccountLookups.set(holder, lookup);
    try {
      const answer = await registered;
      this.#nickAccounts.set(holder, { folded, registered: answer, at: now });
      return answer;
    } finally {
      if (this.#nickAccountLookups.get(holder) === lookup) this.#nickAccountLookups.delete(holder);
    }
  }

  /** The remembered answer for `holder`, usable now without passing the sender's look-ups in flight; null when it must wait. */
  #knownNickIsAccount(sender: ChatUser, holder: ChatUser): boolean | null {
    return this.#lookups.busy(sender) ? null : this.#remembered(holder, Date.now());
  }

  #remembered(holder: ChatUser, now: number): boolean | null {
    const known = this.#nickAccounts.get(holder);
    return known && known.folded === holder.folded && now - known.at < NICK_ACCOUNT_MEMORY_MS ? known.registered : null;
  }

  /** `known`: whether the account exists, when the caller already asked; `after`: the sender's message shown first. */
  async #sendOffline(
    user: ChatUser,
    target: string,
    kind: MessageKind,
    text: string,
    tags: ClientTags | null,
    fromSession: string | null,
    known: boolean | null,
    after: Promise<SendResult> | undefined,
  ): Promise<SendResult> {
    let exists: boolean;
    try {
      exists = known ?? (await this.#inSenderOrder(user, () => this.accounts.exists(target)));
    } catch {
      return fail("unavailable");
    }
    if (!exists) return fail("no-such-nick");
    const event = this.core.newMessage(user, target, kind, text, tags);
    const recipientAccount = foldCase(target);
    try {
      await this.writer!.append(toStored(event, directKey(partyKey(user.account, user.nick), recipientAccount), user.account, recipientAccount));
    } catch {
      return fail("unavailable");
    }
    if (after !== undefined) await after.then(ignore, ignore);
    // The sender's other sessions show what it sent, as for a message to someone online.
    if (this.core.isOnline(user)) this.core.deliverMessage(event, null, user, fromSession);
    this.#notify({ event, senderAccount: user.account && foldCase(user.account), conversation: { kind: "direct", recipientAccount, recipientNick: target }, offline: true });
    return { ok: true, event, recipient: null, offline: true };
  }
}
