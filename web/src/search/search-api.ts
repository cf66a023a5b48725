/** Message search over the HTTP API: `GET /api/v1/search` (docs/http-api.md), newest first, paged. */
import type { AuthedFetch } from "../api/authed-fetch.js";
import { expectOk } from "../api/problem-detail.js";

export type Conversation = { readonly kind: "channel"; readonly name: string } | { readonly kind: "direct"; readonly with: string };

export interface SearchHit {
  readonly msgid: string;
  /** ISO 8601. */
  readonly time: string;
  /** The message's kind as the server stores it (a plain message, a notice, an action). */
  readonly kind: string;
  /** The sender's nick at the time. */
  readonly from: string;
  readonly account: string | null;
  readonly text: string;
  readonly conversation: Conversation;
}

export interface SearchPage {
  readonly results: readonly SearchHit[];
  /** The cursor of the next (older) page, or null at the end. */
  readonly next: string | null;
}

/** Results per page: a screenful on a desktop, a few swipes on a phone. */
export const SEARCH_PAGE_SIZE = 25;

function isHit(value: unknown): value is SearchHit {
  const hit = value as Partial<SearchHit> | null;
  return !!hit && typeof hit.msgid === "string" && typeof hit.text === "string" && typeof hit.conversation === "object" && hit.conversation !== null;
}

export async function searchMessages(fetch: AuthedFetch, words: string, before: string | null): Promise<SearchPage> {
  const query = new URLSearchParams({ q: words, limit: String(SEARCH_PAGE_SIZE) });
  if (before !== null) query.set("before", before);
  const response = await expectOk(await fetch(`/api/v1/search?${query.toString()}`));
  const page = (await response.json()) as { results?: unknown; next?: unknown } | null;
  const results = Array.isArray(page?.results) ? page.results.filter(isHit) : [];
  return { results, next: typeof page?.next === "string" ? page.next : null };
}
