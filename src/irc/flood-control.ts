import type { Config } from "../config/schema.js";
import type { Capability } from "./capabilities.js";
import { Fakelag } from "./fakelag.js";

/** Lines waiting to run at which reading from the socket pauses (flood control off). */
const READ_PAUSE_LINES = 32;

/**
 * Receive flood control of one IRC connection (irc.flood): fakelag once registered,
 * a fixed line budget before, and the bound on lines waiting to run past which the
 * client is cut for Excess Flood. Reads the configuration as it is now (reloads apply),
 * except fakelag's rates, fixed at the first line that fakelag counts.
 */
export class FloodControl {
  /** Made at the first line after registration: a client that never sends one needs none. */
  #fakelag: Fakelag | null = null;
  /** Lines run (or refused as too long) before registration: see irc.flood.registrationLines. */
  #unregisteredLines = 0;

  /** `server.config` is read at each check: a reload replaces it (IrcServerContext fits). */
  constructor(private readonly server: { readonly config: Config }) {}

  /**
   * Whether `queuedLines` waiting to run is excess flood (flood control on). A client with
   * draft/multiline may send a whole batch at once (a pasted text): its lines run without
   * fakelag, but wait behind a held or asynchronous line like any other, so one batch may
   * wait beyond the usual bound.
   */
  isExcess(queuedLines: number, caps: ReadonlySet<Capability>): boolean {
    const irc = this.server.config.irc;
    if (!irc.flood.enabled || queuedLines < irc.flood.maxQueuedLines) return false;
    return !caps.has("draft/multiline") || queuedLines >= irc.flood.maxQueuedLines + irc.multiline.maxLines + 2;
  }

  /**
   * Without flood control, a client that sends faster than its commands finish is held
   * back by TCP instead of being dropped: reading stops at this many waiting lines. With
   * it, the queue is the measure of excess (isExcess).
   */
  shouldPauseReading(queuedLines: number): boolean {
    return !this.server.config.irc.flood.enabled && queuedLines >= READ_PAUSE_LINES;
  }

  /**
   * Counts one line run before registration against the fixed budget
   * (irc.flood.registrationLines), so a client that never registers cannot keep the
   * server answering PINGs; false once it is spent. Counted as lines run, not as lines
   * read: a client that sends its JOINs right behind USER is registered by the time they run.
   */
  withinRegistrationBudget(registered: boolean): boolean {
    const flood = this.server.config.irc.flood;
    return registered || !flood.enabled || ++this.#unregisteredLines <= flood.registrationLines;
  }

  /** Records one line run by a registered client; milliseconds to hold it back (0: run it now). */
  delay(): number {
    return (this.#fakelag ??= new Fakelag(this.server.config.irc.flood)).touch();
  }

  /** Counts `lines` lines at once: what a multiline batch sent without fakelag costs. */
  charge(lines: number): void {
    const fakelag = (this.#fakelag ??= new Fakelag(this.server.config.irc.flood));
    for (let i = 0; i < lines; i++) fakelag.touch();
  }
}
