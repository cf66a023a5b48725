export const USAGE = `Usage: cmymessage <command> [options]

Commands:
  serve                     Run the server (the default of \`npm start\`)
  config check <file>       Check a config file as serve would (with the CMY_* environment
                            and the flags below) and print the effective settings
  hash-password             Print an argon2id hash for an operator password in the config
                            (reads the password from stdin, or --password PW)
  user add <name>           Create an account (password from stdin, or --password PW)
  user passwd <name>        Change an account's password (stdin or --password PW)
  user del <name>           Delete an account
  user list                 List the accounts
  migrate                   Bring the database schema up to date (serve does this too)

Options for serve, user and migrate (config check takes them too, its <file> for --config):
  --config <file>           YAML config file (also CMY_CONFIG); see config.example.yaml
  --data-dir <dir>          All state lives here (also CMY_DATA_DIR; default ./data)
  --irc-listen <list>       Plain IRC listeners, host:port list (also CMY_IRC_LISTEN;
                            default [::]:6667; empty = off)
  --irc-tls-listen <list>   TLS IRC listeners (also CMY_IRC_TLS_LISTEN; default [::]:6697)
  --ftp-listen <list>       FTP/FTPS control listeners (also CMY_FTP_LISTEN; default [::]:2121)
  --http-listen <list>      HTTP API listeners, host:port list (also CMY_HTTP_LISTEN;
                            default [::]:8080; empty = off)
  --log-level <level>       fatal|error|warn|info|debug|trace|silent (also CMY_LOG_LEVEL)

Other settings are in the config file (every key in config.example.yaml: http.publicUrl,
http.allowedOrigins, http.webRoot, push.*, search.*, irc.multiline.*, …); some also have
an environment variable: CMY_SERVER_NAME, CMY_DATABASE_URL, CMY_TLS_CERT, CMY_TLS_KEY,
CMY_HTTP_JWT_KEY, CMY_HTTP_PUBLIC_URL (the address people reach the web door at),
CMY_METRICS_LISTEN (own listeners for /metrics; empty = on the HTTP ones), CMY_LOG_FORMAT; for a cluster, CMY_REDIS_URL (redis://host:6379; needs CMY_DATABASE_URL
on PostgreSQL) and CMY_NODE_NAME (default: the host name). Per node, for FTP data
connections (each node its own passive range): CMY_FTP_PUBLIC_ADDRESS,
CMY_FTP_PASSIVE_PORT_MIN, CMY_FTP_PASSIVE_PORT_MAX (ftp.publicAddress,
ftp.passivePortMin, ftp.passivePortMax).

General:
  -h, --help                Show this help (also after any command: serve --help)
  -v, --version             Show the version

Signals: SIGINT/SIGTERM stop gracefully (a second one stops at once); SIGHUP reloads the config.
`;

/** `-h`/`--help`, which every command takes (parseArgs options). */
export const helpOption = { help: { type: "boolean", short: "h" } } as const;

/** Answers `-h`/`--help`: the usage on stdout, exit code 0. */
export function printUsage(): void {
  process.stdout.write(USAGE);
}
