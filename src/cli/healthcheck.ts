#!/usr/bin/env node
/**
 * The container image's HEALTHCHECK: `GET /healthz` on this node's first HTTP listener,
 * exit 0 when it answers 200, 1 otherwise (Docker's contract). Node itself makes the
 * request because slim images have no curl or wget.
 *
 * The address comes from the same configuration the server reads (CMY_CONFIG, then the
 * CMY_* environment), so moving the web door with CMY_HTTP_LISTEN moves the check too.
 * A wildcard listener (`[::]`, `0.0.0.0`) is reached on 127.0.0.1: dual-stack `[::]`
 * accepts IPv4, and its IPv4-only fallback does too.
 */
import { loadConfig } from "../config/load.js";
import type { ListenAddress } from "../config/listen-address.js";

/** Seconds the request may take; below Docker's default --timeout of 30 s and the image's 5 s. */
const REQUEST_TIMEOUT_SECONDS = 3;

const HEALTH_PATH = "/healthz";

/** The URL a local probe uses to reach `address`. */
function probeUrl(address: ListenAddress): string {
  const wildcard = address.host === "::" || address.host === "0.0.0.0" || address.host === "";
  const host = wildcard ? "127.0.0.1" : address.host.includes(":") ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}${HEALTH_PATH}`;
}

async function main(): Promise<number> {
  const config = await loadConfig(process.env["CMY_CONFIG"], process.env);
  const first = config.http.listen[0];
  if (!first) {
    process.stdout.write("unhealthy: http.listen is empty, so there is no /healthz to ask (turn the web door on, or use another check)\n");
    return 1;
  }
  const url = probeUrl(first);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_SECONDS * 1000) });
    await response.body?.cancel();
    if (response.status === 200) {
      process.stdout.write(`healthy: ${url} answered 200\n`);
      return 0;
    }
    process.stdout.write(`unhealthy: ${url} answered ${response.status}\n`);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    process.stdout.write(`unhealthy: ${url}: ${cause ?? (error as Error).message}\n`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stdout.write(`unhealthy: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
