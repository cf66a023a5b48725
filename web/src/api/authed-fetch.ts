/**
 * A fetch bound to the signed-in account: it adds `Authorization: Bearer <access token>`,
 * refreshes the access token once on a 401 and retries. Paths are same-origin (e.g. "/api/v1/files").
 * Components outside the client core (files, search) receive one of these as a prop so they never
 * touch tokens themselves.
 */
export type AuthedFetch = (path: string, init?: RequestInit) => Promise<Response>;
