import type { Config } from "../config/schema.js";

/** Where IRC clients upload files (draft/FILEHOST), below the public URL. */
export const UPLOAD_PATH = "/api/v1/upload";

/**
 * The web door's address as clients reach it: `http.publicUrl` when set, else
 * `http://<server.name>:<port>` with the port the first HTTP listener is bound to
 * (`boundPort`, known once it listens), or its configured one.
 */
export function publicBaseUrl(config: Config, boundPort?: number): string {
  if (config.http.publicUrl !== "") return config.http.publicUrl;
  const port = boundPort ?? config.http.listen[0]?.port ?? 80;
  return `http://${config.server.name}${port === 80 ? "" : `:${port}`}`;
}

/** The absolute URL of a share link (`/f/<id>/<name>`). */
export function absoluteUrl(base: string, path: string): string {
  return `${base}${path}`;
}
