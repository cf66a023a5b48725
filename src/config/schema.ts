import { z } from "zod";
import { serverSection } from "./schema/server.js";
import { logSection } from "./schema/log.js";
import { tlsSection } from "./schema/tls.js";
import { databaseSection } from "./schema/database.js";
import { authSection } from "./schema/auth.js";
import { accountsSection } from "./schema/accounts.js";
import { chatSection } from "./schema/chat.js";
import { historySection } from "./schema/history.js";
import { searchSection } from "./schema/search.js";
import { filesSection } from "./schema/files.js";
import { ftpSection } from "./schema/ftp.js";
import { limitsSection } from "./schema/limits.js";
import { httpSection } from "./schema/http.js";
import { metricsSection } from "./schema/metrics.js";
import { clusterSection } from "./schema/cluster.js";
import { pushSection } from "./schema/push.js";
import { ircSection } from "./schema/irc.js";

export const configSchema = z.strictObject({
  /** Every piece of state (database, certificates, files) lives below this directory. */
  dataDir: z.string().min(1).default("./data"),
  server: serverSection,
  log: logSection,
  tls: tlsSection,
  database: databaseSection,
  auth: authSection,
  accounts: accountsSection,
  chat: chatSection,
  history: historySection,
  search: searchSection,
  files: filesSection,
  ftp: ftpSection,
  limits: limitsSection,
  http: httpSection,
  metrics: metricsSection,
  cluster: clusterSection,
  push: pushSection,
  irc: ircSection,
});

/** The input a config file (or the merge of file, env and flags) may contain. */
export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type IrcConfig = Config["irc"];
export type HttpConfig = Config["http"];
export type FloodConfig = IrcConfig["flood"];
export type OperatorConfig = IrcConfig["operators"][number];
export type PushConfig = Config["push"];
export type ClusterConfig = Config["cluster"];
export type MetricsConfig = Config["metrics"];
