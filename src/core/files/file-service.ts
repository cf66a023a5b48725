import { join } from "node:path";
import { foldCase } from "../chat/names.js";
import { FileSpace, type SpaceLimits } from "./file-space.js";
import type { UsageLedger } from "./usage-ledger.js";
import { detached, ignoreFailure } from "../../detached.js";

interface SpaceEntry {
  readonly space: Promise<FileSpace>;
  users: number;
  idle: NodeJS.Timeout | null;
}

/**
 * Hands out each account's FileSpace, one instance per account however many sessions
 * use it on this node. Usage figures and reservations live in the database (`ledger`),
 * so quota checks see every session's writes on every node sharing `<dataDir>/files`.
 */
export class FileService {
  readonly #spaces = new Map<string, SpaceEntry>();

  constructor(
    private readonly dataDir: string,
    private limits: SpaceLimits,
    private readonly ledger: UsageLedger,
    /**
     * How long a space nobody uses stays open (files.remeasureAfterIdleSeconds). Opening one
     * measures its usage by walking the whole tree (to correct the recorded figures: see
     * AccountUsage.synchronise); an FTP session pays that once, but the web client makes one
     * HTTP request per action, and each would pay it again without this grace period.
     */
    private idleKeepMs: number,
  ) {}

  /** `<dataDir>/files/<account>/`, the account name folded so one account has one folder. */
  rootOf(account: string): string {
    return join(this.dataDir, "files", foldCase(account));
  }

  /** A reload: the limits apply to the open spaces at once, the idle time to spaces released from now on. */
  updateLimits(limits: SpaceLimits, idleKeepMs: number): void {
    this.limits = limits;
    this.idleKeepMs = idleKeepMs;
    // A space that failed to open is not there to update; its opener heard the failure.
    for (const entry of this.#spaces.values()) detached(entry.space.then((space) => space.updateLimits(limits)), ignoreFailure);
  }

  async acquire(account: string): Promise<{ space: FileSpace; release: () => void }> {
    const key = foldCase(account);
    let entry = this.#spaces.get(key);
    if (!entry) {
      const root = this.rootOf(account);
      const created: SpaceEntry = { space: FileSpace.open(root, this.limits, this.ledger.forAccount(key, root)), users: 0, idle: null };
      this.#spaces.set(key, created);
      created.space.catch(() => this.#spaces.get(key) === created && this.#spaces.delete(key));
      entry = created;
    }
    if (entry.idle) {
      clearTimeout(entry.idle);
      entry.idle = null;
    }
    entry.users++;
    const held = entry;
    const space = await held.space;
    let released = false;
    return {
      space,
      release: () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        const forget = (): void => {
          if (held.users === 0 && this.#spaces.get(key) === held) this.#spaces.delete(key);
        };
        held.idle = setTimeout(forget, this.idleKeepMs).unref();
      },
    };
  }

  /** Runs `work` with the account's space, released afterwards whatever happens. */
  async with<T>(account: string, work: (space: FileSpace) => Promise<T>): Promise<T> {
    const { space, release } = await this.acquire(account);
    try {
      return await work(space);
    } finally {
      release();
    }
  }

  /** The read-only public folder anonymous users see, when enabled. */
  openPublic(): Promise<FileSpace> {
    return FileSpace.open(join(this.dataDir, "public"), this.limits, null);
  }

  /**
   * At shutdown, once the doors are closed: waits (at most `timeoutMs`) for the uploads
   * still ending to settle their reservations, then stops renewing them.
   */
  drain(timeoutMs: number): Promise<void> {
    return this.ledger.drain(timeoutMs);
  }
}
