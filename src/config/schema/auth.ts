import { z } from "zod";
import { MAX_PASSWORD_BYTES } from "../../auth/password-policy.js";
import { seconds } from "./fields.js";

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

export const authSection = z
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
  .prefault({});
