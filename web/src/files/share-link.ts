/**
 * Recognising the server's own share links (`/f/<id>/<name>`) in message text, so the chat can show an
 * image inline. Only links to this origin qualify: the client never loads anything from a third party.
 */

const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp"]);
const SHARE_PATH = /^\/f\/([^/]+)\/([^/]+)$/u;

export interface ShareLink {
  /** The same-origin path to load, query and fragment dropped. */
  readonly path: string;
  /** The file's name, decoded, for the image's alt text. */
  readonly name: string;
}

/** The share an URL points at when it is one of this server's image shares; null otherwise. */
export function imageShare(url: string, origin: string): ShareLink | null {
  let parsed: URL;
  try {
    parsed = new URL(url, origin);
  } catch {
    return null;
  }
  if (parsed.origin !== origin) return null;
  const match = SHARE_PATH.exec(parsed.pathname);
  if (!match?.[2]) return null;
  let name: string;
  try {
    name = decodeURIComponent(match[2]);
  } catch {
    return null;
  }
  const extension = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  if (!IMAGE_EXTENSIONS.has(extension)) return null;
  return { path: parsed.pathname, name };
}
