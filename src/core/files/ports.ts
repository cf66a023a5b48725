import type { Usage } from "./usage.js";

/**
 * What storage keeps about each account's files, so that every node sharing one
 * `<dataDir>/files` volume sees one usage figure and one set of uploads in progress.
 * Accounts are folded names (their folder's name). The store implements it.
 */
export interface FileUsageStore {
  /** The recorded usage with the live reservations (expiring after `now`), or null when none is recorded. */
  read(account: string, now: number): Promise<RecordedUsage | null>;
  /** Records `measured` as the account's usage unless one is recorded already (two nodes at once: the first stays). */
  initialise(account: string, measured: Usage): Promise<void>;
  /**
   * Replaces the recorded usage with `measured` when it is still at `version` and no
   * reservation is live: then nothing changed through any node while the tree was walked.
   * False when something did (the record stays; it was kept in step by those changes).
   */
  replaceMeasured(account: string, measured: Usage, version: number, now: number): Promise<boolean>;
  /**
   * Takes reservation `reservation.id`, or sets an existing one to the new amounts, in one
   * atomic step, when the recorded usage, the other live reservations and it stay within
   * `limits` (a limit of 0, or an amount of 0, is not checked). Bumps the usage's version.
   * When they do not fit: "keep" leaves the reservation as it was (none is taken), "free"
   * sets it to nothing in that same step, so the room is free for the others at once.
   */
  reserve(reservation: Reservation, limits: QuotaLimits, now: number, onRefusal?: RefusalEffect): Promise<ReserveOutcome>;
  /** Adds `change` to the recorded usage and drops the reservation, bumping the version. */
  settle(account: string, change: Usage, reservationId: string): Promise<void>;
  /** Drops a reservation whose upload left nothing to count, bumping the version. */
  release(account: string, reservationId: string): Promise<void>;
  /** Moves the expiry of these reservations (uploads still running on this node). */
  renew(reservationIds: readonly string[], expiresAt: number): Promise<void>;
  /**
   * Deletes the account's reservations that expired by `now` (their node stopped renewing
   * them: it died, or lost the database for longer than the timeout). Returns them, so the
   * caller can delete the temporary files they left and measure the folder again.
   */
  purgeExpired(account: string, now: number): Promise<ExpiredReservation[]>;
}

export interface RecordedUsage extends Usage {
  /** Bumped by every reservation and change (see `replaceMeasured`). */
  readonly version: number;
  /** Live reservations, on any node. */
  readonly reservations: number;
  readonly reservedBytes: number;
  readonly reservedFiles: number;
}

export interface Reservation {
  readonly id: string;
  readonly account: string;
  /** Bytes the upload may put on disk: written in place, what the file grows; through a temporary file, all of it (see file-upload.ts). */
  readonly bytes: number;
  /** 1 when the upload makes a new file. */
  readonly files: number;
  /** The node holding it (for operators reading the table). */
  readonly node: string;
  readonly expiresAt: number;
  /** The upload's hidden temporary file, relative to the account's folder; null when it writes in place. */
  readonly temporary: string | null;
}

export interface ExpiredReservation {
  readonly id: string;
  readonly node: string;
  readonly temporary: string | null;
}

/** 0 = no limit. */
export interface QuotaLimits {
  readonly quotaBytes: number;
  readonly quotaFiles: number;
}

/** What a refused reservation leaves: itself as it was ("keep"), or nothing held ("free"). */
export type RefusalEffect = "keep" | "free";

/** "no-usage": the account has no usage record (measure the folder, `initialise`, and try again). */
export type ReserveOutcome = "reserved" | "over-quota" | "no-usage";
