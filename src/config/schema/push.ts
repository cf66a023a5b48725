import { z } from "zod";
import { seconds } from "./fields.js";

export const pushSection = z
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
  .prefault({});
