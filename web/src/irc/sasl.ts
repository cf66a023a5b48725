/**
 * SASL OAUTHBEARER (RFC 7628) with the HTTP API's access token: the browser never
 * holds the password after signing in, only tokens.
 */

/** Base64 of the UTF-8 bytes of `text` (btoa alone only takes Latin-1). */
export function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The client's first (and only) message: a GS2 header without authzid, then the bearer token. */
export function oauthBearerResponse(accessToken: string): string {
  return base64Utf8(`n,,\x01auth=Bearer ${accessToken}\x01\x01`);
}

/** AUTHENTICATE payloads: 400-byte chunks, and "+" after a last chunk of exactly 400 (or for nothing). */
export function authenticateChunks(payload: string): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < payload.length; i += 400) chunks.push(payload.slice(i, i + 400));
  if (payload.length % 400 === 0) chunks.push("+");
  return chunks;
}
