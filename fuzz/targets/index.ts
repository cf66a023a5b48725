import type { FuzzTarget } from "../engine/target.js";
import { configLoader } from "./config-loader.js";
import { ftpPath } from "./ftp-path.js";
import { httpJson } from "./http-json.js";
import { ircDispatch } from "./irc-dispatch.js";
import { ircParser } from "./irc-parser.js";

/** Every fuzz target, in the order CI runs them. */
export const targets: readonly FuzzTarget[] = [ircParser, ircDispatch, ftpPath, httpJson, configLoader];

export function targetNamed(name: string): FuzzTarget | undefined {
  return targets.find((target) => target.name === name);
}
