/**
 * What the operator sets on the host before `docker compose … up`, as docs/operations.md's
 * commands do: the variables the compose files require (`${NAME:?…}`) for which the files'
 * own interpolation (test/support/deploy-files.ts) has only a "stand-in", not a value the
 * server accepts (CMY_FTP_PUBLIC_ADDRESS must be an IPv4 address).
 */
import { isTree } from "../support/deploy-files.js";

export const HOST_VARIABLES: Readonly<Record<string, string>> = { FTP_PUBLIC_ADDRESS: "203.0.113.10" };

/** `value` (a parsed compose file or part of it) with HOST_VARIABLES put in as compose does; other `${…}` are left to the files' defaults. */
export function withHostVariables<T>(value: T): T {
  const put = (entry: unknown): unknown => {
    if (typeof entry === "string") return entry.replace(/\$\{(\w+)(?::?[-?][^}]*)?\}/g, (whole, name: string) => HOST_VARIABLES[name] ?? whole);
    if (Array.isArray(entry)) return entry.map(put);
    if (isTree(entry)) return Object.fromEntries(Object.entries(entry).map(([key, inner]) => [key, put(inner)]));
    return entry;
  };
  return put(value) as T;
}
