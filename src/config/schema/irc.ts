import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "../listen-address.js";
import { isValidChannelName } from "../../core/chat/names.js";
import { listenAddress, seconds } from "./fields.js";

/**
 * An argon2id PHC string as `cmymessage hash-password` makes it ($argon2id$v=19$m=…,t=…,p=…$salt$hash):
 * a garbled one would load, and then refuse every password (everyone gets 464).
 */
const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

const channelName = z.string().regex(/^#[^\s,\x07\x00:]+$/, "a channel name such as #general");

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

export const ircSection = z
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
  .prefault({});
