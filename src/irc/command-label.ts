import type { Capability } from "./capabilities.js";
import type { IrcMessage } from "./message.js";

/** The longest label answered (labeled-response): clients use short counters or ids. */
export const MAX_LABEL_BYTES = 64;

/**
 * The command's label when the client asked for labeled-response; a label over
 * MAX_LABEL_BYTES is ignored (the command is answered unlabelled), since every reply
 * repeats it beside the server's own tags and must stay within the 8191 bytes of a tag
 * section.
 */
export function commandLabel(message: IrcMessage, caps: ReadonlySet<Capability>): string | undefined {
  const label = caps.has("labeled-response") ? message.tags?.get("label") : undefined;
  return label !== undefined && Buffer.byteLength(label) <= MAX_LABEL_BYTES ? label : undefined;
}
