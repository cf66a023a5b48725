import { join } from "node:path";
import { foldCase } from "../chat/names.js";
import { FileSpace, type SpaceLimits } from "./file-space.js";

/**
 * Hands out each account's FileSpace, one instance per account however many
 * sessions use it, so usage figures and quota checks see every session's writes.
 */
export class FileService {
  readonly #spaces = new Map<string, { space: Promise<FileSpace>; users: number }>();

  constructor(
    private readonly dataDir: string,
    private limits: SpaceLimits,
  ) {}

  /** `<dataDir>/files/<account>/`, the account name folded so one account has one folder. */
  rootOf(account: string): string {
    return join(this.dataDir, "files", foldCase(account));
  }

  updateLimits(limits: SpaceLimits): void {
    this.limits = limits;
    for (const entry of this.#spaces.values()) void entry.space.then((space) => space.updateLimits(limits));
  }

  async acquire(account: string): Promise<{ space: FileSpace; release: () => void }> {
    const key = foldCase(account);
    let entry = this.#spaces.get(key);
    if (!entry) {
      entry = { space: FileSpace.open(this.rootOf(account), this.limits), users: 0 };
      this.#spaces.set(key, entry);
      entry.space.catch(() => this.#spaces.delete(key));
    }
    entry.users++;
    const space = await entry.space;
    let released = false;
    return {
      space,
      release: () => {
        if (released) return;
        released = true;
        if (--entry!.users === 0) this.#spaces.delete(key);
      },
    };
  }

  /** The read-only public folder anonymous users see, when enabled. */
  openPublic(): Promise<FileSpace> {
    return FileSpace.open(join(this.dataDir, "public"), this.limits, true);
  }
}
