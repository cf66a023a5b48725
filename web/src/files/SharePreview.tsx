/**
 * An inline picture for a shared image link in a message. The image request carries the HttpOnly
 * `cmy_access` cookie (the app asks for it at sign-in), which is how the server knows the viewer may
 * see the share; a viewer who may not (or a deleted file) gets an error, and the preview disappears.
 */
import { useEffect, useState } from "preact/hooks";
import { imageShare } from "./share-link.js";
import "./share-preview.css";

export interface SharePreviewProps {
  readonly url: string;
}

export function SharePreview(props: SharePreviewProps) {
  const share = imageShare(props.url, location.origin);
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [props.url]);
  if (!share || failed) return null;
  return (
    // No link around it: the message's own link already opens the file, one tab stop is enough.
    <span class="share-preview">
      <img src={share.path} alt={share.name} loading="lazy" decoding="async" onError={() => setFailed(true)} />
    </span>
  );
}
