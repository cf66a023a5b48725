/** The scheme and authority of a target in absolute form. */
const ABSOLUTE_FORM_PREFIX = /^https?:\/\/[^/?#]*/i;

/**
 * The path of a request target, without its query, whatever its form: `/api/v1/me` of
 * `/api/v1/me?x` and of `http://host/api/v1/me`, the absolute form a server must accept
 * (RFC 9112 §3.2.2) and the router routes by its path. What decides by the path must
 * read it here, not test the raw target.
 */
export function targetPath(target: string): string {
  let path = target;
  const prefix = ABSOLUTE_FORM_PREFIX.exec(path);
  if (prefix) {
    path = path.slice(prefix[0].length);
    if (!path.startsWith("/")) path = `/${path}`;
  }
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}
