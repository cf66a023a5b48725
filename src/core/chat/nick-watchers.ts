import type { Session } from "./session.js";
import { foldCase } from "./names.js";

/**
 * MONITOR watch lists: the sessions watching each folded nick, and what each session
 * watches (folded → as given). Lists belong to sessions, as in Ergo, and end with them.
 */
export class NickWatchers {
  readonly #watchers = new Map<string, Set<Session>>();
  readonly #watching = new Map<Session, Map<string, string>>();

  constructor(private readonly isValid: (nick: string) => boolean) {}

  /** The sessions watching a folded nick (the local index's `watchers` scope). */
  of(folded: string): Iterable<Session> {
    return this.#watchers.get(folded) ?? [];
  }

  /**
   * `session` watches `nicks` (valid ones; repeats ignored) until it ends, at most `max` in
   * all. Returns the nicks added and, when the list filled up, those left out.
   */
  watch(session: Session, nicks: readonly string[], max: number): { added: string[]; refused: string[] } {
    let list = this.#watching.get(session);
    const added: string[] = [];
    for (const [index, nick] of nicks.entries()) {
      if (!this.isValid(nick)) continue;
      const folded = foldCase(nick);
      if (list?.has(folded)) continue;
      if ((list?.size ?? 0) >= max) return { added, refused: nicks.slice(index) };
      if (!list) this.#watching.set(session, (list = new Map()));
      list.set(folded, nick);
      let watchers = this.#watchers.get(folded);
      if (!watchers) this.#watchers.set(folded, (watchers = new Set()));
      watchers.add(session);
      added.push(nick);
    }
    return { added, refused: [] };
  }

  unwatch(session: Session, nicks: readonly string[]): void {
    const list = this.#watching.get(session);
    if (!list) return;
    for (const nick of nicks) {
      const folded = foldCase(nick);
      if (!list.delete(folded)) continue;
      const watchers = this.#watchers.get(folded);
      watchers?.delete(session);
      if (watchers?.size === 0) this.#watchers.delete(folded);
    }
    if (list.size === 0) this.#watching.delete(session);
  }

  /** Forgets everything `session` watches (MONITOR C, and when the session ends). */
  unwatchAll(session: Session): void {
    this.unwatch(session, [...(this.#watching.get(session)?.keys() ?? [])]);
  }

  /** The nicks `session` watches, as it gave them. */
  watchList(session: Session): string[] {
    return [...(this.#watching.get(session)?.values() ?? [])];
  }

  /** Whether `session` watches the nick. */
  isWatching(session: Session, nick: string): boolean {
    return this.#watching.get(session)?.has(foldCase(nick)) ?? false;
  }
}
