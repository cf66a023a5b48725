import { SINGLE_NODE_NICKS, type NickClaims } from "../core/chat/nick-claims.js";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { ChatCore } from "../core/chat/chat-core.js";
import type { Messaging } from "../core/chat/messaging.js";
import type { HistoryStore } from "../core/chat/history.js";
import type { MissedMessages } from "../core/chat/missed.js";
import type { AccountService } from "../core/accounts/account-service.js";
import type { ReadMarkers } from "../core/chat/read-markers.js";
import type { PushSubscriptions } from "../core/push/push-subscriptions.js";
import type { BearerTokens } from "./sasl/oauthbearer.js";

/** The domain services the IRC adapter speaks for. */
export interface IrcServices {
  readonly core: ChatCore;
  readonly messaging: Messaging;
  readonly accounts: AccountService;
  /** Null when history is turned off. */
  readonly history: HistoryStore | null;
  /** What accounts missed while away; null when history is turned off. */
  readonly missed: MissedMessages | null;
  /** Read markers (draft/read-marker). */
  readonly readMarkers: ReadMarkers;
  /** Web Push (draft/webpush): the subscriptions and the VAPID public key ISUPPORT advertises. */
  readonly push?: IrcPush | null;
  /** The HTTP API's access tokens, for SASL OAUTHBEARER; null (or absent) when the web door is off. */
  readonly tokens?: BearerTokens | null;
  /** Who may take which nick across a cluster; absent: a node on its own. */
  readonly nickClaims?: NickClaims;
}

export interface IrcPush {
  readonly subscriptions: PushSubscriptions;
  /** base64url uncompressed P-256 point (ISUPPORT VAPID). */
  readonly vapidPublicKey: string;
}
import type { IrcConnection } from "./connection.js";
import { EventLineCache } from "./event-lines.js";
import { capabilityChanges } from "./capabilities.js";
import { announceCapabilityChanges } from "./commands/cap.js";

/**
 * What every IRC connection and command shares on this node. `config` is replaced
 * as a whole on REHASH, so readers always see one consistent version.
 */
export class IrcServerContext {
  readonly connections = new Set<IrcConnection>();
  readonly eventLines = new EventLineCache();
  readonly startedAt = new Date();
  /** Called when a client is dropped for "SendQ exceeded" (the composition root counts it for metrics). */
  onSendQueueExceeded: () => void = () => {};
  #isupport: string[][] | null = null;
  /** ISUPPORT tokens other services provide (draft/FILEHOST once the web door listens), by name. */
  readonly #extraIsupport = new Map<string, string>();

  readonly core: ChatCore;
  readonly messaging: Messaging;
  readonly accounts: AccountService;
  readonly history: HistoryStore | null;
  readonly missed: MissedMessages | null;
  readonly readMarkers: ReadMarkers;
  readonly push: IrcPush | null;
  readonly tokens: BearerTokens | null;
  readonly nickClaims: NickClaims;

  constructor(
    public config: Config,
    services: IrcServices,
    readonly log: Logger,
    readonly version: string,
    /** Reloads the config from its sources; set by the composition root. */
    readonly reload: () => Promise<Config>,
    /**
     * Derives stand-in SCRAM salts for unknown accounts, so they look like known ones;
     * from the store, so an unknown name's salt stays the same across restarts and nodes.
     */
    readonly scramSecret: Buffer,
  ) {
    this.core = services.core;
    this.nickClaims = services.nickClaims ?? SINGLE_NODE_NICKS;
    this.messaging = services.messaging;
    this.accounts = services.accounts;
    this.history = services.history;
    this.missed = services.missed;
    this.readMarkers = services.readMarkers;
    this.push = services.push ?? null;
    this.tokens = services.tokens ?? null;
  }

  get serverName(): string {
    return this.config.server.name;
  }

  /** Also tells clients (cap-notify) of the capabilities the new config withdraws, adds or revalues. */
  replaceConfig(config: Config): void {
    const changes = capabilityChanges(this.config, config);
    this.config = config;
    this.#isupport = null;
    if (changes) for (const connection of this.connections) announceCapabilityChanges(connection, changes);
  }

  /** Sets (or, with null, removes) a `NAME=value` ISUPPORT token for connections registering from now. */
  setIsupportToken(name: string, value: string | null): void {
    if (value === null) this.#extraIsupport.delete(name);
    else this.#extraIsupport.set(name, value);
    this.#isupport = null;
  }

  /** ISUPPORT tokens in 005 lines of at most 13 tokens each; rebuilt when the config changes. */
  isupportLines(build: (config: Config) => string[]): string[][] {
    if (!this.#isupport) {
      const tokens = [...build(this.config), ...[...this.#extraIsupport].map(([name, value]) => `${name}=${value}`)];
      const lines: string[][] = [];
      for (let i = 0; i < tokens.length; i += 13) lines.push(tokens.slice(i, i + 13));
      this.#isupport = lines;
    }
    return this.#isupport;
  }
}
