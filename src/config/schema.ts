import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "./listen-address.js";
import { MAX_PASSWORD_BYTES } from "../auth/password-policy.js";
import { isValidChannelName } from "../core/chat/names.js";

const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const parsed = parseListenAddress(text);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** `https://chat.example.org` or `http://localhost:5173`, kept in URL's normal form (lower case, no default port). */
const origin = z.string().transform((text, ctx): string => {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  const bare = url !== null && url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !text.endsWith("#") && !text.endsWith("?");
  if (!url || !bare || (url.protocol !== "http:" && url.protocol !== "https:")) {
    ctx.addIssue({ code: "custom", message: "an origin such as https://chat.example.org (scheme, host and optional port, no path)" });
    return z.NEVER;
  }
  return url.origin;
});

/**
 * An argon2id PHC string as `cmymessage hash-password` makes it ($argon2id$v=19$m=…,t=…,p=…$salt$hash):
 * a garbled one would load, and then refuse every password (everyone gets 464).
 */
const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

const channelName = z.string().regex(/^#[^\s,\x07\x00:]+$/, "a channel name such as #general");
const seconds = z.number().positive();

const operator = z.strictObject({
  name: z.string().min(1).max(64),
  /** argon2id PHC string, made by `cmymessage hash-password`. */
  passwordHash: z.string().regex(ARGON2ID_PHC, "an argon2id hash made by `cmymessage hash-password`"),
  /** Optional host mask the operator must connect from, e.g. `*@127.0.0.1`. */
  hostMask: z.string().default("*@*"),
});

const flood = z.strictObject({
  /** Off = no receive flood control at all (benchmarks, trusted networks). */
  enabled: z.boolean().default(true),
  /** Lines a client may send at full speed before throttling starts. */
  burst: z.number().int().min(1).default(8),
  /** Sustained rate a throttled client may send, in lines per second. */
  linesPerSecond: z.number().positive().default(2),
  /** Seconds of calm that return a throttled client to burst mode. */
  cooldownSeconds: seconds.default(2),
  /** Lines waiting to be processed before the client is dropped with "Excess Flood". */
  maxQueuedLines: z.number().int().min(1).default(40),
  /**
   * Lines a client may send before it is registered (CAP, PASS, AUTHENTICATE, NICK,
   * USER, PING…; too-long lines count too); one more closes it with "Excess Flood".
   * Fakelag starts at registration, so this bounds what a client that never registers
   * can make the server do.
   */
  registrationLines: z.number().int().min(8).default(50),
});

/** IRCv3 draft/multiline: what one client batch (lines joined into one message) may hold. */
const multiline = z.strictObject({
  /**
   * Bytes of text in one batch, each line break counting one (the cap's `max-bytes`). The value
   * used is never above chat.maxMessageBytes: the batch becomes one message, which must fit it.
   */
  maxBytes: z.number().int().min(1).max(65536).default(4096),
  /** Lines in one batch (the cap's `max-lines`). */
  maxLines: z.number().int().min(1).max(1000).default(100),
  /** Seconds a batch may stay open; one not closed by then is dropped with FAIL BATCH MULTILINE_INVALID. */
  timeoutSeconds: seconds.default(30),
});

/** The shared login guard (src/core/accounts/login-guard.ts); docs/security.md states each limit. */
const bruteForce = z.strictObject({
  /** Wait after the 2nd failure on one account from one address, doubling with each further one (the 1st costs nothing). */
  backoffBaseSeconds: seconds.default(1),
  backoffMaxSeconds: seconds.default(30),
  /** Failures on one account from one address (IPv4, or IPv6 /64) before that address is locked out of that account. */
  accountAddressLockoutAfter: z.number().int().min(1).default(10),
  /** Failures from one address on any accounts before it is locked out of every login. */
  addressLockoutAfter: z.number().int().min(1).default(30),
  lockoutSeconds: seconds.default(900),
  /** A counter with no failure for this long starts again from zero. */
  forgetAfterSeconds: seconds.default(3600),
  /** Failed guesses on one account, from all addresses together, answered per second; never refuses a password from an address that has not failed. */
  accountFailuresPerSecond: z.number().positive().max(1000).default(4),
  /** Longest delay before a failure reply while an account's failures are paced. */
  failureDelayMaxSeconds: seconds.default(5),
  /** Removed: said loudly, since silently ignoring it would leave an operator believing in a lockout that no longer exists. */
  accountLockoutAfter: z
    .undefined({ error: "removed: an account is no longer locked as a whole (anyone could lock its owner out); see accountAddressLockoutAfter and accountFailuresPerSecond in docs/security.md" })
    .optional(),
});

/** What every new password must be, whichever door sets it (IRC REGISTER and NickServ, HTTP, the CLI). */
const passwordPolicy = z.strictObject({
  /** Fewest UTF-8 bytes (after NFKC normalisation) a new password may have; existing passwords keep working. */
  minBytes: z.number().int().min(1).max(MAX_PASSWORD_BYTES).default(8),
  /** Refuse new passwords found on the common-password list (Firefox Accounts' list, shipped with the server). */
  rejectCommon: z.boolean().default(true),
});

export const configSchema = z.strictObject({
  /** Every piece of state (database, certificates, files) lives below this directory. */
  dataDir: z.string().min(1).default("./data"),
  server: z
    .strictObject({
      /** The server's name as IRC clients see it (the prefix of its numerics). */
      name: z.string().regex(/^[A-Za-z0-9.-]+\.[A-Za-z0-9.-]+$/, "a host name with a dot, e.g. irc.example.org").default("cmymessage.local"),
      network: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).default("CmyMessage"),
      motd: z.string().default("Welcome to CmyMessage.\nBe kind."),
      adminName: z.string().default("CmyMessage administrator"),
      adminEmail: z.string().default("admin@localhost"),
      /** Seconds a graceful shutdown may take before connections are cut. */
      shutdownTimeoutSeconds: seconds.default(5),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      /** auto = readable lines on a terminal, JSON otherwise. */
      format: z.enum(["auto", "json", "pretty"]).default("auto"),
    })
    .prefault({}),
  tls: z
    .strictObject({
      /** PEM files; when both are empty a self-signed certificate is made in <dataDir>/tls/. */
      certFile: z.string().default(""),
      keyFile: z.string().default(""),
    })
    .refine((tls) => (tls.certFile === "") === (tls.keyFile === ""), { message: "tls.certFile and tls.keyFile go together: set both, or neither for a self-signed certificate", path: ["keyFile"] })
    .prefault({}),
  database: z
    .strictObject({
      /** Empty: SQLite in <dataDir>/cmymessage.db. Or postgres://user:pass@host:port/db. */
      url: z.string().regex(/^$|^postgres(ql)?:\/\//, "empty (SQLite) or a postgres:// URL").default(""),
      /**
       * SQLite: the size (MiB) of the write-ahead log (`cmymessage.db-wal`) past which the
       * background checkpoint starts it again, and the size its file is cut back to then
       * (src/store/sqlite-checkpointer.ts). Read at start.
       */
      sqliteWalLimitMiB: z.number().int().min(1).max(65_536).default(64),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** PBKDF2 iterations of the SCRAM-SHA-256 verifier kept beside the argon2id hash; 0 = no SCRAM. */
      scramIterations: z.number().int().min(0).default(4096),
      /** Allow SASL PLAIN and `PASS account:password` (a password in clear) on a non-TLS connection from a non-loopback address. */
      allowPlaintextSasl: z.boolean().default(false),
      /** Treat loopback clients (127.0.0.0/8, ::1) as safe for SASL PLAIN without TLS; turn off behind a local proxy. */
      plaintextSaslFromLoopback: z.boolean().default(true),
      /** Seconds a client using a registered nick has to log in before it is renamed to a guest nick. */
      nickEnforcementSeconds: seconds.default(30),
      bruteForce: bruteForce.prefault({}),
      password: passwordPolicy.prefault({}),
    })
    .prefault({}),
  accounts: z
    .strictObject({
      /** Connections logged in to one account are one user: one nick, shared channels (per account: NickServ SET MULTICLIENT). */
      multiclient: z.boolean().default(true),
      /** Users stay present in their channels with no connection, across restarts (per account: NickServ SET ALWAYS-ON). */
      alwaysOn: z.boolean().default(false),
      /** Most missed messages replayed to a connection without draft/chathistory when it attaches to an always-on user. */
      alwaysOnReplayMax: z.number().int().min(0).max(10_000).default(100),
      /**
       * Anyone may create an account (IRC REGISTER, NickServ REGISTER, HTTP POST /api/v1/accounts).
       * Off: only an operator can, with `cmymessage user add`.
       */
      selfRegistration: z.boolean().default(true),
      /** Accounts one IPv4 address or IPv6 /64 may create per hour through those doors, counted across nodes; 0 = no limit. */
      registrationsPerAddressPerHour: z.number().int().min(0).max(100_000).default(5),
      /**
       * How often a node asks the database whether the accounts logged in through it still
       * exist and have the password their sessions logged in with: a deletion or a password
       * change by `cmymessage user del`/`user passwd` or on another node ends their IRC and
       * FTP sessions within this many seconds (one made here, by NickServ or the HTTP API, at
       * once). The name is older than the password check, and kept.
       */
      deletedCheckSeconds: z.number().int().min(1).max(3600).default(30),
    })
    .prefault({}),
  chat: z
    .strictObject({
      /**
       * Largest message text (UTF-8 bytes) any door accepts; longer ones are refused, never cut.
       * Whatever fits is stored whole; the IRC adapter splits it over several lines when one
       * 512-byte line cannot carry it. 4096 is what Ergo's multiline max-bytes suggests.
       */
      maxMessageBytes: z.number().int().min(256).max(65536).default(4096),
      /**
       * Read markers kept per account (one per conversation); past it, the least recently
       * moved are forgotten. Bounds what one account can store and what each login loads.
       */
      maxReadMarkersPerAccount: z.number().int().min(10).max(1_000_000).default(1000),
      /**
       * In a cluster, how often a node reads the registered channels (ChanServ) from the database:
       * a channel registered or dropped on another node is known to this node's JOIN (operator
       * status, restored modes and bans) within this many seconds. ChanServ itself asks the
       * database at once. Read at start.
       */
      registrationRefreshSeconds: z.number().int().min(1).max(3600).default(5),
    })
    .prefault({}),
  history: z
    .strictObject({
      /** Store every channel and direct message (needed for CHATHISTORY and offline messages). */
      enabled: z.boolean().default(true),
      /** Delete messages older than this many days; 0 keeps them forever. */
      maxAgeDays: z.number().min(0).default(0),
      /** Keep at most this many messages per channel or conversation; 0 = no limit. */
      maxMessagesPerTarget: z.number().int().min(0).default(0),
      /**
       * Under load (the previous commit held 16 messages or more), the shortest time from the start
       * of one commit of new messages to the next, in milliseconds: the messages of that time go in one commit,
       * which costs less per message, and each waits up to this long more before it is stored
       * and delivered. Below that load each is committed at the end of its turn of the event
       * loop, as with 0. Applies on reload.
       */
      commitIntervalMs: z.number().int().min(0).max(1000).default(10),
    })
    .prefault({}),
  search: z
    .strictObject({
      /** Longest search query (GET /api/v1/search `q`), in characters after trimming. */
      maxQueryChars: z.number().int().min(1).max(1000).default(200),
      /** Most words in one search query; each word is one more term for the index to intersect. */
      maxWords: z.number().int().min(1).max(64).default(16),
      /**
       * PostgreSQL: the longest one search may run in the database before the database cancels it
       * (statement_timeout) and the caller gets 503 search-timeout. A word in much of a large history
       * can take seconds of database CPU; without a bound it would go on after the client gave up.
       */
      timeoutSeconds: z.number().min(0.01).max(300).default(5),
      /**
       * Most searches at the database at once, on this node; more wait their turn (within
       * timeoutSeconds, then 503 search-timeout). On PostgreSQL each holds one of the node's
       * 10 pooled connections while it runs: searches side by side must leave the rest to
       * chat, whose messages are stored before they are delivered.
       */
      maxConcurrent: z.number().int().min(1).max(8).default(3),
    })
    .prefault({}),
  files: z
    .strictObject({
      /** Bytes one account may store (0 = no limit). */
      quotaBytes: z.number().int().min(0).default(5 * 1024 ** 3),
      /** Files and folders one account may store (0 = no limit): a folder counts as a file. */
      quotaFiles: z.number().int().min(0).default(100_000),
      /** Largest single file (0 = no limit). */
      maxFileBytes: z.number().int().min(0).default(4 * 1024 ** 3),
      /** An upload cut off midway: "delete" leaves the old file (or none), "keep" keeps what arrived so it can be resumed. */
      interruptedUploads: z.enum(["delete", "keep"]).default("delete"),
    })
    .prefault({}),
  ftp: z
    .strictObject({
      listen: z.array(listenAddress).default(["[::]:2121"].map((a) => parseListenAddress(a) as ListenAddress)),
      /** required: log in only after AUTH TLS; optional: client's choice; off: no FTPS. */
      tls: z.enum(["required", "optional", "off"]).default("required"),
      /** Under "required", still let loopback clients log in without TLS (a local client, a local proxy in front). */
      trustLoopback: z.boolean().default(true),
      /**
       * A protected (PROT P) data connection must resume the TLS session of its control connection,
       * or it is refused with 522 (vsftpd's require_ssl_reuse). Off only for clients that cannot
       * resume (Python's ftplib): another process at the client's address could then take its transfers.
       */
      tlsRequireSessionReuse: z.boolean().default(true),
      /** Passive data ports; 0 and 0 = any free port. Open this range in a firewall. */
      passivePortMin: z.number().int().min(0).max(65535).default(0),
      passivePortMax: z.number().int().min(0).max(65535).default(0),
      /** IPv4 address put in PASV replies (behind NAT); empty = the address the client connected to. */
      publicAddress: z.string().regex(/^$|^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address or empty").default(""),
      loginTimeoutSeconds: seconds.default(60),
      idleTimeoutSeconds: seconds.default(300),
      /** Seconds to wait for a data connection, and for data on it. */
      dataTimeoutSeconds: seconds.default(30),
      /** Longest command line; longer lines get 500 and are dropped. */
      maxCommandBytes: z.number().int().min(512).max(65536).default(4096),
      /** Failed logins on one connection before it is closed (the shared brute-force defence applies too). */
      maxLoginAttempts: z.number().int().min(1).default(3),
      /** Anonymous (USER anonymous / ftp) read-only access to <dataDir>/public. */
      anonymous: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Connections from one IPv4 address or one IPv6 /64, across all services. */
      connectionsPerIp: z.number().int().min(1).default(16),
      /** Connections across all services and addresses. */
      maxConnections: z.number().int().min(1).default(20000),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** The web door (REST API, later the WebSocket gateway and the browser client); an empty list turns it off. */
      listen: z.array(listenAddress).default(["[::]:8080"].map((a) => parseListenAddress(a) as ListenAddress)),
      /** PEM Ed25519 private key signing access tokens; empty = made on first start in <dataDir>/keys/jwt-ed25519.pem. */
      jwtKeyFile: z.string().default(""),
      /** Lifetime of an access token (a JWT, not revocable: keep it short). */
      accessTokenMinutes: z.number().int().min(1).max(24 * 60).default(15),
      /** Lifetime of a refresh token; each use replaces it with a new one that lives this long again. */
      refreshTokenDays: z.number().positive().max(365).default(30),
      /** Seconds a client has to send a request's headers (from its first byte); later: 408 and closed. */
      headersTimeoutSeconds: seconds.max(300).default(10),
      /**
       * Seconds a client has to send a whole request, headers and body; later: 408 and closed.
       * At least headersTimeoutSeconds. Streamed file uploads have their own idle timeout instead.
       */
      requestTimeoutSeconds: seconds.max(3600).default(30),
      /** Largest request body accepted; bigger ones get 413. */
      bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(16 * 1024),
      /**
       * Reverse proxies you run in front, counted from this server: the client address is the X-Forwarded-For
       * entry that many places from the right (the one the outermost of them appended; entries further left
       * are the client's own choice). false = none (the header is ignored), true = 1.
       */
      trustProxy: z
        .union([z.boolean(), z.literal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])], { error: "false, true (one proxy) or the number of proxies in front, 1 to 10" })
        .transform((trust) => (trust === true ? 1 : trust === false ? 0 : trust))
        .default(0),
      /**
       * Origins (scheme://host[:port]) whose pages may open IRC over WebSocket at /ws, besides
       * the server's own (Origin's host = the request's Host header). Requests without Origin
       * (not from a browser) are always allowed.
       */
      allowedOrigins: z.array(origin).default([]),
      /** Directory of the built browser client served at /; empty = the package's dist/web (made by `npm run build`). */
      webRoot: z.string().default(""),
      /**
       * The web door's address as browsers and IRC clients reach it, e.g. "https://chat.example.org":
       * the base of absolute share links and of the FILEHOST upload URL. Empty = http://<server.name>:<first HTTP port>.
       */
      publicUrl: z
        .string()
        .regex(/^$|^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, "empty, or an http(s) URL such as https://chat.example.org")
        .transform((url) => url.replace(/\/+$/, ""))
        .default(""),
    })
    // Node refuses a header deadline later than the whole request's.
    .refine((h) => h.requestTimeoutSeconds >= h.headersTimeoutSeconds, {
      message: "requestTimeoutSeconds must be at least headersTimeoutSeconds",
      path: ["requestTimeoutSeconds"],
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Prometheus metrics at GET /metrics (docs/operations.md#metrics); off = no route, no listener, nothing collected. */
      enabled: z.boolean().default(true),
      /**
       * Where /metrics is served: its own listeners (e.g. ["127.0.0.1:9464"], kept off the public web door);
       * empty = on the HTTP listeners (`http.listen`).
       */
      listen: z.array(listenAddress).default([]),
    })
    .prefault({}),
  cluster: z
    .strictObject({
      /**
       * redis://[user:password@]host:port[/db] (or rediss:// for TLS): several nodes share this Redis
       * as their bus, and PostgreSQL as their database. Empty: one node on the in-process bus.
       */
      redisUrl: z.string().regex(/^$|^rediss?:\/\//, "empty (one node) or a redis:// or rediss:// URL").default(""),
      /** This node's name in logs, metrics and `/readyz`; unique in the cluster. Empty: the host name. */
      nodeName: z.string().regex(/^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' and '-', at most 63").default(""),
      /**
       * A node that has not renewed its heartbeat for this long is dead: its users QUIT everywhere and their nicks are free.
       * Also how long a file upload's reservation holds quota unless its node renews it (docs/files.md).
       */
      nodeTimeoutSeconds: z.number().int().min(2).max(300).default(15),
    })
    .prefault({}),
  push: z
    .strictObject({
      /** Web Push (IRCv3 draft/webpush): the server sends encrypted notifications to push services. */
      enabled: z.boolean().default(true),
      /** Push subscriptions one account may hold (one per device/browser); more get FAIL WEBPUSH FORBIDDEN. */
      maxSubscriptionsPerAccount: z.number().int().min(1).max(1000).default(10),
      /**
       * DANGEROUS outside tests: lets endpoints be plain http and resolve to loopback, private or
       * link-local addresses, so any account holder can make the server send requests into its own network.
       */
      allowPrivateEndpoints: z.boolean().default(false),
      /** The VAPID `sub` claim (a mailto: or https: contact for push services); empty = mailto:<server.adminEmail>. */
      vapidSubject: z.string().regex(/^$|^(mailto:|https:\/\/)\S+$/, "empty, a mailto: address or an https:// URL").default(""),
      /** Seconds a push service keeps a notification for a device that is offline (the TTL header). */
      ttlSeconds: z.number().int().min(0).max(28 * 24 * 3600).default(24 * 3600),
      /** Seconds one request to a push service may take before it is abandoned (never retried). */
      requestTimeoutSeconds: seconds.max(120).default(10),
      /** Requests to push services in flight at once. */
      maxConcurrentRequests: z.number().int().min(1).max(1000).default(16),
      /** Messages waiting for their subscriptions to be read, and notifications waiting for a request slot (each bounded by this); past it, new ones are dropped (and logged). */
      maxQueuedPushes: z.number().int().min(1).max(1_000_000).default(1000),
    })
    .prefault({}),
  irc: z
    .strictObject({
      listen: z.array(listenAddress).default(["[::]:6667"].map((a) => parseListenAddress(a) as ListenAddress)),
      tlsListen: z.array(listenAddress).default(["[::]:6697"].map((a) => parseListenAddress(a) as ListenAddress)),
      /** Channels every user joins on connect: the broadcast chat. The server's: joining one first gives no operator status. */
      defaultChannels: z.array(channelName).default(["#general"]),
      nickLength: z.number().int().min(9).max(64).default(30),
      userLength: z.number().int().min(2).max(64).default(16),
      channelLength: z.number().int().min(2).max(64).default(64),
      /**
       * Topic, away message and kick (also part, quit, redaction) reason lengths in bytes. Each is
       * lowered to what a relayed line holds whole with the longest nick, username, host and channel
       * name this configuration allows (src/irc/text-limits.ts): TOPICLEN, AWAYLEN and KICKLEN say
       * what is used, and the server logs it when it lowers one.
       */
      topicLength: z.number().int().min(1).max(390).default(340),
      awayLength: z.number().int().min(1).max(390).default(390),
      kickLength: z.number().int().min(1).max(390).default(310),
      realnameLength: z.number().int().min(1).max(390).default(128),
      /** Channels one user may be in at once (CHANLIMIT); also the most channels one JOIN or PART may name (TARGMAX JOIN:/PART:, 407 past it). */
      maxChannelsPerUser: z.number().int().min(1).default(50),
      /** Targets in one PRIVMSG/NOTICE/TAGMSG/KICK (TARGMAX; JOIN/PART use maxChannelsPerUser). */
      maxTargets: z.number().int().min(1).max(20).default(4),
      /** Mode changes with a parameter in one MODE command; also the most error replies one MODE command gets. */
      maxModesPerCommand: z.number().int().min(1).max(20).default(6),
      /** Entries in each ban/exception/invite-exception list of a channel. */
      maxListEntries: z.number().int().min(1).default(100),
      /** Seconds a connection has to finish NICK/USER (and CAP END). */
      registrationTimeoutSeconds: seconds.default(30),
      /** Idle seconds before the server sends PING. */
      pingIntervalSeconds: seconds.default(90),
      /** Seconds after that PING without any reply before the client is dropped. */
      pingTimeoutSeconds: seconds.default(60),
      /** Bytes waiting to be sent to one client before it is dropped with "SendQ exceeded". */
      sendQueueBytes: z.number().int().min(4096).default(1024 * 1024),
      /** Bytes of the IRCv3 tag section a client may send (the spec's minimum is 4094; 8191 total). */
      maxTagBytes: z.number().int().min(512).max(8191).default(8191),
      /** Nicks one connection may watch with MONITOR (ISUPPORT MONITOR=n); 734 ERR_MONLISTFULL past it. */
      maxMonitorEntries: z.number().int().min(1).max(10_000).default(100),
      /** Entries kept for WHOWAS. */
      whowasLength: z.number().int().min(0).default(1000),
      flood: flood.prefault({}),
      multiline: multiline.prefault({}),
      /**
       * Server password every client must send with PASS before registering: an argon2id
       * PHC string made by `cmymessage hash-password`; empty = no password (then `PASS account:password` logs in to an account).
       */
      password: z
        .string()
        .refine((v) => v === "" || ARGON2ID_PHC.test(v), "empty, or an argon2id hash made by `cmymessage hash-password`")
        .default(""),
      operators: z.array(operator).default([]),
    })
    .superRefine((irc, ctx) => {
      // The rule JOIN applies: a default channel no client could join would greet every connection with 476.
      irc.defaultChannels.forEach((name, index) => {
        if (isValidChannelName(name, irc.channelLength)) return;
        ctx.addIssue({ code: "custom", path: ["defaultChannels", index], message: `not a channel name a client can join: at most irc.channelLength (${irc.channelLength}) bytes of UTF-8, in NFC, no invisible characters` });
      });
    })
    .prefault({}),
});

/** The input a config file (or the merge of file, env and flags) may contain. */
export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type IrcConfig = Config["irc"];
export type HttpConfig = Config["http"];
export type FloodConfig = IrcConfig["flood"];
export type OperatorConfig = IrcConfig["operators"][number];
export type PushConfig = Config["push"];
export type ClusterConfig = Config["cluster"];
export type MetricsConfig = Config["metrics"];
