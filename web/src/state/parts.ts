import type { ChatHistory } from "../irc/history.js";
import type { IrcClient } from "../irc/irc-client.js";
import type { LineContext } from "./messages.js";
import type { Store } from "./store.js";
import type { ChatState } from "./types.js";

/** What the pieces of the chat controller share: the state, the connection, history requests. */
export interface ChatParts {
  readonly store: Store<ChatState>;
  readonly client: IrcClient;
  readonly history: ChatHistory;
  /** How to read IRC lines right now (our nick, case mapping, channel types). */
  context(): LineContext;
}
