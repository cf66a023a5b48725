import { lookup, promises as dns, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { EndpointVerdict } from "../core/push/ports.js";
import { isPublicAddress } from "../net/public-address.js";

/** Longest endpoint accepted; real push services' URLs are a few hundred bytes. */
export const MAX_ENDPOINT_LENGTH = 1024;

/**
 * Push endpoints' names are resolved by c-ares, not getaddrinfo: a slow or hostile DNS
 * answer then costs a timer, not one of libuv's four threads (which file I/O needs).
 * 2 s per try, 2 tries, for A and AAAA at once.
 */
const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });

export interface EndpointRules {
  /** push.allowPrivateEndpoints: http and non-public addresses allowed (tests only). */
  readonly allowPrivate: boolean;
}

/** The host of a URL as a resolver or an IP check wants it: without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** All addresses `host` resolves to in public DNS (A and AAAA); an IP literal is itself, `localhost` loopback (RFC 6761). */
export async function resolveAll(host: string): Promise<LookupAddress[]> {
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family }];
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return [{ address: "127.0.0.1", family: 4 }];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  if (v4.status === "rejected" && v6.status === "rejected") throw v4.reason;
  return [
    ...(v4.status === "fulfilled" ? v4.value.map((address) => ({ address, family: 4 })) : []),
    ...(v6.status === "fulfilled" ? v6.value.map((address) => ({ address, family: 6 })) : []),
  ];
}

export class PrivateAddressError extends Error {
  readonly code = "EPRIVATEADDRESS";
}

/**
 * The resolver for a push request (the `lookup` option of http.request): unless private
 * endpoints are allowed, a host that resolves to any non-public address is refused right
 * there, at connect time, so a DNS answer that changed since REGISTER (rebinding) cannot
 * lead the request into the server's own network.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  if (allowPrivate) return lookup as LookupFunction;
  return (hostname, options, callback) => {
    resolveAll(hostname).then(
      (addresses) => {
        if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address))) {
          callback(new PrivateAddressError(`${hostname} resolves to a non-public address`), "", 0);
        } else if (options.all) {
          (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
        } else {
          callback(null, addresses[0]!.address, addresses[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

/**
 * Whether a Web Push endpoint may be registered: an https URL without credentials whose
 * host resolves only to public addresses (checked again when connecting: guardedLookup).
 */
export async function checkEndpoint(endpoint: string, rules: EndpointRules): Promise<EndpointVerdict> {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return { ok: false, why: `The endpoint is longer than ${MAX_ENDPOINT_LENGTH} bytes` };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, why: "The endpoint is not a URL" };
  }
  const schemes = rules.allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) return { ok: false, why: "The endpoint must be an https URL" };
  if (url.username !== "" || url.password !== "") return { ok: false, why: "The endpoint must not contain credentials" };
  if (rules.allowPrivate) return { ok: true };
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(bareHost(url));
  } catch {
    return { ok: false, why: "The endpoint's host name does not resolve" };
  }
  if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address))) {
    return { ok: false, why: "The endpoint must lead to a public address, not a loopback, private or link-local one" };
  }
  return { ok: true };
}
