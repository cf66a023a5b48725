/**
 * Who may hold a nick across every node of a cluster. One node alone answers from its
 * own state (the chat core refuses a taken nick); a cluster asks the shared store, so
 * that two nodes never hand one nick to two users, whatever the timing.
 */
export type NickClaim = "ok" | "taken" | "unavailable";

export interface NickClaims {
  /**
   * Claims `nick` for a user of this node, or with `node` for a user of that node (a
   * session here of a user there: multiclient across nodes); synchronous "ok" on a node on its own.
   */
  claim(nick: string, node?: string | null): NickClaim | Promise<NickClaim>;
  /** Gives back a claim that was not used (the registration did not complete); `node` as in `claim`. */
  release(nick: string, node?: string | null): void;
}

export const SINGLE_NODE_NICKS: NickClaims = {
  claim: () => "ok",
  release: () => {},
};
