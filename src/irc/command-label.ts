import type { Capability } from "./capabilities.js";
import type { IrcMessage } from "./message.js";

/** The longest label answered (labeled-response): clients use short counters or ids. */
export const MAX_LABEL_BYTES = 64;

/**
 * The command's label when the client asked for labeled-response and batch; a label over
 * MAX_LABEL_BYTES is ignored (the command is answered unlabelled), since every reply
 * repeats it beside the server's own tags and must stay within the 8191 bytes of a tag
 * section.
 *
 * labeled-response "depends on the batch capability which MUST be negotiated to use
 * labeled responses": without batch a reply of several lines could not be grouped, so
 * the label is ignored altogether, as InspIRCd does — a client sees no label, no ACK,
 * never a BATCH it did not ask for. message-tags is not needed: a client that negotiated
 * these two caps reads their tags (`label`, `batch`).
 */
export function commandLabel(message: IrcMessage, caps: ReadonlySet<Capability>): string | undefined {
  const label = caps.has("labeled-response") && caps.has("batch") ? message.tags?.get("label") : undefined;
  return label !== undefined && Buffer.byteLength(label) <= MAX_LABEL_BYTES ? label : undefined;
}
