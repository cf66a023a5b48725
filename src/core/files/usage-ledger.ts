import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { basename, relative, resolve, sep } from "node:path";
import { isTemporaryUpload } from "./temporary-upload.js";
import type { FileUsageStore, QuotaLimits, RecordedUsage, RefusalEffect } from "./ports.js";
import { measureUsage, type Usage } from "./usage.js";
import { detached, ignoreFailure } from "../../detached.js";

/**
 * Bytes an upload reserves at least beyond what has arrived, so that it asks the database
 * once per this many bytes rather than once per network read. Near the quota it reserves
 * only what has arrived (see `Hold.grow`).
 */
export const RESERVE_AHEAD_BYTES = 1024 * 1024;

/**
 * A large upload reserves ahead a quarter of what it has received (from RESERVE_AHEAD_BYTES up
 * to this): its round trips grow with the logarithm of its size, not the size. A fixed 1 MiB
 * was a reservation (two statements, on SQLite on the event loop, each a WAL write) per MiB
 * received: a 256 MiB STOR made 256 of them, a large part of our CPU per MB on the ext4 disk.
 * Capped so that an upload never holds much more room than it uses.
 */
export const RESERVE_AHEAD_MAX_BYTES = 64 * 1024 * 1024;

/** What an upload that has `bytes` reserves beyond them, at most `max` (see RESERVE_AHEAD_MAX_BYTES). */
export function reserveAhead(bytes: number, max = RESERVE_AHEAD_MAX_BYTES): number {
  return Math.min(max, Math.max(RESERVE_AHEAD_BYTES, Math.floor(bytes / 4)));
}

export interface LedgerOptions {
  /** This node's name, recorded with its reservations. */
  readonly node: string;
  /** How long a reservation counts unless renewed: a node that dies mid-upload stops holding quota after this. */
  readonly reservationTimeoutMs: number;
  /** A database failure the caller cannot be told about (a renewal, a settlement after the file is stored). */
  readonly onError: (error: unknown, what: string) => void;
  readonly now?: () => number;
}

/** The database could not be asked: the upload is refused rather than let past a quota nobody checked. */
export class LedgerUnavailable extends Error {
  override readonly name = "LedgerUnavailable";
}

const NOTHING: Usage = { bytes: 0, files: 0 };
/** Limits that are never checked: a change that cannot take the usage past any quota. */
const NO_LIMITS: QuotaLimits = { quotaBytes: 0, quotaFiles: 0 };

/**
 * The quota accounting of every account's files, kept in the database so that every node
 * sharing the files volume agrees: the usage figures, and a reservation for each upload
 * (and each delete or rename) in progress. This node renews its reservations while they
 * run; those of a node that died expire after `reservationTimeoutMs`.
 */
export class UsageLedger {
  /** Ids of the reservations this node holds now, renewed by #timer. */
  readonly #live = new Set<string>();
  /** Settlements and releases on their way to the database. */
  readonly #ending = new Set<Promise<void>>();
  /** Called when nothing is live or ending (see drain). */
  #quiet: Array<() => void> = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #now: () => number;

  constructor(
    private readonly store: FileUsageStore,
    private readonly options: LedgerOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** The ledger of one account, whose folder is `root`. */
  forAccount(account: string, root: string): AccountUsage {
    return new AccountUsage(this, this.store, account, root);
  }

  /** Stops renewing (at shutdown, after the uploads ended: see drain). */
  close(): void {
    this.#stopTimer();
  }

  /**
   * Waits, at most `timeoutMs`, for the uploads still running to end and their
   * reservations to be settled or released: at shutdown, before the database closes.
   * What is left then expires by itself.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#live.size > 0 || this.#ending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => this.#quiet.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.close();
  }

  /** Runs the database side of a reservation's end, known to drain. */
  async ending(work: Promise<void>): Promise<void> {
    this.#ending.add(work);
    try {
      await work;
    } finally {
      this.#ending.delete(work);
      this.#wakeIfQuiet();
    }
  }

  #wakeIfQuiet(): void {
    if (this.#live.size > 0 || this.#ending.size > 0) return;
    for (const wake of this.#quiet.splice(0)) wake();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  now(): number {
    return this.#now();
  }

  expiry(): number {
    return this.#now() + this.options.reservationTimeoutMs;
  }

  get node(): string {
    return this.options.node;
  }

  reportError(error: unknown, what: string): void {
    this.options.onError(error, what);
  }

  held(id: string): void {
    this.#live.add(id);
    if (this.#timer) return;
    // A third of the timeout: two renewals may fail (a slow database) before one lapses.
    // #renew reports its own failure, so this never rejects.
    this.#timer = setInterval(() => detached(this.#renew(), ignoreFailure), Math.max(100, Math.floor(this.options.reservationTimeoutMs / 3)));
    this.#timer.unref();
  }

  dropped(id: string): void {
    this.#live.delete(id);
    if (this.#live.size === 0) this.#stopTimer();
  }

  async #renew(): Promise<void> {
    try {
      await this.store.renew([...this.#live], this.expiry());
    } catch (error) {
      this.reportError(error, "file upload reservations could not be renewed");
    }
  }
}

/** One account's usage and reservations (see UsageLedger). */
export class AccountUsage {
  constructor(
    private readonly ledger: UsageLedger,
    private readonly store: FileUsageStore,
    readonly account: string,
    readonly root: string,
  ) {}

  /**
   * Brings the recorded usage in line with the folder: measured and recorded when there is
   * no record yet; measured again when no change is running on any node, and recorded only
   * if none started or ended while the tree was walked. Run when a node opens the space, so
   * files changed behind the server's back (or left by a node that died mid-upload) are
   * counted again within a minute of idleness, as on one node.
   */
  async synchronise(): Promise<void> {
    const recorded = await this.store.read(this.account, this.ledger.now());
    if (recorded === null) {
      await this.store.initialise(this.account, await measureUsage(this.root));
      return;
    }
    if (recorded.reservations > 0) return;
    await this.#clearExpired();
    const measured = await measureUsage(this.root);
    if (measured.bytes !== recorded.bytes || measured.files !== recorded.files) {
      await this.store.replaceMeasured(this.account, measured, recorded.version, this.ledger.now());
    }
  }

  /** The recorded usage and what uploads on every node hold now. */
  async read(): Promise<RecordedUsage> {
    let recorded = await this.store.read(this.account, this.ledger.now());
    if (recorded === null) {
      await this.synchronise();
      recorded = await this.store.read(this.account, this.ledger.now());
    }
    return recorded ?? { ...NOTHING, version: 0, reservations: 0, reservedBytes: 0, reservedFiles: 0 };
  }

  /**
   * Reserves `amounts` within `limits`: a Hold, or null when they do not fit. Throws
   * LedgerUnavailable when the database cannot be asked.
   */
  async hold(amounts: Usage, limits: QuotaLimits, temporary: string | null = null): Promise<Hold | null> {
    try {
      // A node died mid-upload: its reservation stopped counting, its bytes may still be on
      // disk (a temporary file, deleted now; a partial file kept in place, counted now).
      if ((await this.#clearExpired()) > 0) await this.synchronise();
    } catch (error) {
      throw new LedgerUnavailable(`the file usage database could not be asked: ${(error as Error).message}`, { cause: error });
    }
    const hold = new Hold(this.ledger, this.store, this, randomBytes(12).toString("base64url"), temporary === null ? null : relative(this.root, temporary));
    // "keep": refused, nothing is left behind to release.
    return (await hold.take(amounts.bytes, amounts.files, limits, "keep")) ? hold : null;
  }

  /**
   * Deletes the account's expired reservations and the temporary files they name (only
   * hidden upload files inside the account's folder). Returns how many there were.
   */
  async #clearExpired(): Promise<number> {
    const expired = await this.store.purgeExpired(this.account, this.ledger.now());
    for (const reservation of expired) {
      if (reservation.temporary === null) continue;
      const root = resolve(this.root);
      const file = resolve(root, reservation.temporary);
      if (!file.startsWith(root + sep) || !isTemporaryUpload(basename(file))) continue;
      await rm(file, { force: true }).catch((error: unknown) => this.ledger.reportError(error, "the temporary file of an expired upload could not be deleted"));
    }
    return expired.length;
  }

  /**
   * Runs a change that is not an upload (a delete, a rename over a file) under a
   * reservation of nothing, so a measurement running meanwhile is not recorded, then adds
   * what `work` returns to the usage. A database that cannot be reached does not stop the
   * change: the figures are corrected at the next measurement.
   */
  async change<T>(work: () => Promise<{ result: T; change: Usage }>): Promise<T> {
    let hold: Hold | null = null;
    try {
      hold = await this.hold(NOTHING, NO_LIMITS);
    } catch (error) {
      this.ledger.reportError(error, "file usage could not be recorded; it is measured again when the space is next opened");
    }
    try {
      const { result, change } = await work();
      await hold?.settle(change);
      return result;
    } finally {
      await hold?.release();
    }
  }
}

/** One reservation: grown while the bytes arrive, then settled (counted) or released. */
export class Hold {
  bytes = 0;
  files = 0;
  #ended = false;
  /** Reserving ahead was refused once: this upload is near the quota, so it asks for exact amounts from then on. */
  #tight = false;
  /** The most it reserves ahead: RESERVE_AHEAD_BYTES once a larger amount ahead was refused (the quota is near). */
  #maxAhead = RESERVE_AHEAD_MAX_BYTES;

  constructor(
    private readonly ledger: UsageLedger,
    private readonly store: FileUsageStore,
    private readonly usage: AccountUsage,
    readonly id: string,
    /** The upload's temporary file relative to the account's folder, or null. */
    private readonly temporary: string | null,
  ) {}

  /**
   * Sets the reservation to `bytes`, reserving more ahead (reserveAhead) when that fits so
   * the next reads need no round trip. False when `bytes` does not fit: then the
   * reservation holds only `kept` (what the upload leaves on disk whatever happens: the
   * bytes it wrote in place before), its other room free for the other uploads at once,
   * and the upload must stop.
   */
  async grow(bytes: number, limits: QuotaLimits, kept = 0): Promise<boolean> {
    while (!this.#tight && limits.quotaBytes > 0) {
      const ahead = reserveAhead(bytes, this.#maxAhead);
      if (await this.take(bytes + ahead, this.files, limits, "keep")) return true;
      // Refused: first less ahead (1 MiB, as near the quota any upload does), then exact amounts.
      if (ahead > RESERVE_AHEAD_BYTES) this.#maxAhead = RESERVE_AHEAD_BYTES;
      else this.#tight = true;
    }
    if (kept === 0) return this.take(bytes, this.files, limits, "free");
    if (await this.take(bytes, this.files, limits, "keep")) return true;
    // Down to what stays on disk, no more: a reservation that shrinks always fits (no limit to check),
    // and the bytes kept are never unreserved while the upload settles.
    await this.take(Math.min(kept, this.bytes), this.files, NO_LIMITS, "keep");
    return false;
  }

  /** One reservation request (see FileUsageStore.reserve); false when refused. */
  async take(bytes: number, files: number, limits: QuotaLimits, onRefusal: RefusalEffect): Promise<boolean> {
    const { account } = this.usage;
    const take = (): ReturnType<FileUsageStore["reserve"]> =>
      this.store.reserve({ id: this.id, account, bytes, files, node: this.ledger.node, expiresAt: this.ledger.expiry(), temporary: this.temporary }, limits, this.ledger.now(), onRefusal);
    let outcome;
    try {
      outcome = await take();
      // No record (first use, or removed by an operator to have it measured again): measure, then once more.
      if (outcome === "no-usage") {
        await this.usage.synchronise();
        outcome = await take();
      }
    } catch (error) {
      throw new LedgerUnavailable(`the file usage database could not be asked: ${(error as Error).message}`, { cause: error });
    }
    if (outcome !== "reserved") {
      if (onRefusal === "free") this.bytes = this.files = 0;
      return false;
    }
    this.bytes = bytes;
    this.files = files;
    this.ledger.held(this.id);
    return true;
  }

  /** Adds `change` to the usage and ends the reservation. Never throws: the bytes are stored whatever the database says. */
  async settle(change: Usage): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.ledger.dropped(this.id);
    try {
      await this.ledger.ending(this.store.settle(this.usage.account, change, this.id));
    } catch (error) {
      this.ledger.reportError(error, "file usage could not be recorded; it is measured again when the space is next opened");
    }
  }

  /** Ends the reservation, counting nothing. Never throws (an unreleased one expires). */
  async release(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.ledger.dropped(this.id);
    try {
      await this.ledger.ending(this.store.release(this.usage.account, this.id));
    } catch (error) {
      this.ledger.reportError(error, "a file upload reservation could not be released; it expires by itself");
    }
  }
}
