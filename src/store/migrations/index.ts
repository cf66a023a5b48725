import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";
import * as initial from "./0001-initial.js";
import * as serverSecrets from "./0002-server-secrets.js";
import * as presence from "./0003-presence.js";
import * as search from "./0004-search.js";
import * as shares from "./0005-shares.js";
import * as push from "./0006-push.js";
import * as fileUsage from "./0007-file-usage.js";
import * as registrationAttempts from "./0008-registration-attempts.js";
import * as searchIndexBehind from "./0009-search-index-behind.js";
import * as searchTerms from "./0010-search-terms.js";
import * as directRecipientIndex from "./0011-direct-recipient-index.js";
import * as deletedAccountNames from "./0012-deleted-account-names.js";
import * as channelLists from "./0013-channel-lists.js";
import * as searchWordsApart from "./0014-search-words-apart.js";
import * as credentialsVersion from "./0015-credentials-version.js";
import * as refreshSuccessor from "./0016-refresh-successor.js";
import * as targetIndexBehind from "./0017-target-index-behind.js";
import * as directSenderAccount from "./0018-direct-sender-account.js";
import * as alwaysOnAwayModes from "./0019-always-on-away-modes.js";

export interface Migration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every schema version, oldest first. Names sort in order and never change once released. */
export const migrations: readonly Migration[] = [
  { name: "0001-initial", up: initial.up },
  { name: "0002-server-secrets", up: serverSecrets.up },
  { name: "0003-presence", up: presence.up },
  { name: "0004-search", up: search.up },
  { name: "0005-shares", up: shares.up },
  { name: "0006-push", up: push.up },
  { name: "0007-file-usage", up: fileUsage.up },
  { name: "0008-registration-attempts", up: registrationAttempts.up },
  { name: "0009-search-index-behind", up: searchIndexBehind.up },
  { name: "0010-search-terms", up: searchTerms.up },
  { name: "0011-direct-recipient-index", up: directRecipientIndex.up },
  { name: "0012-deleted-account-names", up: deletedAccountNames.up },
  { name: "0013-channel-lists", up: channelLists.up },
  { name: "0014-search-words-apart", up: searchWordsApart.up },
  { name: "0015-credentials-version", up: credentialsVersion.up },
  { name: "0016-refresh-successor", up: refreshSuccessor.up },
  { name: "0017-target-index-behind", up: targetIndexBehind.up },
  { name: "0018-direct-sender-account", up: directSenderAccount.up },
  { name: "0019-always-on-away-modes", up: alwaysOnAwayModes.up },
];
