import type { Account } from "../../core/accounts/ports.js";

/** What one step of a SASL mechanism decided. */
export type SaslStep =
  | { readonly kind: "continue"; readonly challenge: Buffer }
  | { readonly kind: "success"; readonly account: Account }
  | { readonly kind: "failure"; readonly reason: string };

/** One SASL exchange: a mechanism fed the client's decoded responses. */
export interface SaslExchange {
  readonly mechanism: string;
  /** Bytes of client data gathered so far for the current step (AUTHENTICATE splits into 400-byte chunks). */
  buffer: Buffer[];
  bufferedBytes: number;
  step(response: Buffer): Promise<SaslStep>;
}
