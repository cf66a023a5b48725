import type { Config } from "../config/schema.js";

export interface MultilineLimits {
  /** Bytes of text in one batch, each line break counting one. */
  readonly maxBytes: number;
  readonly maxLines: number;
}

/**
 * The draft/multiline limits in force. A batch becomes one message, and every door
 * refuses a message over chat.maxMessageBytes; so max-bytes is never advertised
 * above it, and a batch the client was allowed to send is never refused later.
 */
export function multilineLimits(config: Config): MultilineLimits {
  const { maxBytes, maxLines } = config.irc.multiline;
  return { maxBytes: Math.min(maxBytes, config.chat.maxMessageBytes), maxLines };
}
