import type { FuzzTarget } from "../engine/target.js";
import { ircParser } from "./irc-parser.js";

/** Every fuzz target, in the order CI runs them. */
export const targets: readonly FuzzTarget[] = [ircParser];

export function targetNamed(name: string): FuzzTarget | undefined {
  return targets.find((target) => target.name === name);
}
