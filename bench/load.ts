/**
 * The load generator on its own, against any IRC server that is already running.
 *
 *   node --import tsx bench/load.ts --port 6667 [--host 127.0.0.1] [--pid PID] --scenario fanout|connect|direct|logins|login-storm [sizes]
 *
 * With --pid (a server on this machine) it also reports the server's CPU time
 * and RSS from /proc. The server must let one address open many connections and
 * should not throttle clients (flood control off), or the figures measure that.
 * logins and login-storm first create accounts acct0.. with REGISTER, so they need
 * a fresh CmyMessage (or any server with draft/account-registration and SASL PLAIN)
 * with accounts.registrationsPerAddressPerHour: 0 (its default 5 stops the sixth).
 */
import { parseArgs } from "node:util";
import { connect, direct, fanout, METRICS, type ScenarioName, type ScenarioResult, type Target } from "./lib/scenarios.js";
import { loginStorm, logins } from "./lib/accounts.js";
import { raiseOpenFileLimit } from "./lib/proc.js";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    pid: { type: "string" },
    scenario: { type: "string", default: "fanout" },
    clients: { type: "string", default: "500" },
    senders: { type: "string", default: "5" },
    messages: { type: "string", default: "200" },
    window: { type: "string", default: "20" },
    size: { type: "string", default: "64" },
    connections: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "50" },
    pairs: { type: "string", default: "250" },
    channel: { type: "string", default: "#bench" },
    timeout: { type: "string", default: "120" },
    accounts: { type: "string", default: "50" },
    logins: { type: "string", default: "200" },
    "login-concurrency": { type: "string", default: "8" },
    "argon2-samples": { type: "string", default: "10" },
    "storm-logins": { type: "string", default: "50" },
    "storm-clients": { type: "string", default: "5" },
    "storm-rate": { type: "string", default: "200" },
    "idle-seconds": { type: "string", default: "3" },
    "storm-rounds": { type: "string", default: "3" },
  },
  strict: true,
});

function num(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`load: --${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
}

const target: Target = {
  name: `${values.host}:${values.port}`,
  host: values.host ?? "127.0.0.1",
  port: num(values.port, "port"),
  pid: values.pid === undefined ? null : num(values.pid, "pid"),
};
const scenario = values.scenario as ScenarioName;
const timeoutSeconds = num(values.timeout, "timeout");
raiseOpenFileLimit(num(values.connections, "connections") + 2 * num(values.clients, "clients") + 512);

async function run(): Promise<ScenarioResult> {
  switch (scenario) {
    case "fanout":
      return fanout(target, {
        clients: num(values.clients, "clients"),
        senders: num(values.senders, "senders"),
        messages: num(values.messages, "messages"),
        window: num(values.window, "window"),
        textBytes: num(values.size, "size"),
        timeoutSeconds,
        channel: values.channel ?? "#bench",
      });
    case "direct":
      return direct(target, {
        pairs: num(values.pairs, "pairs"),
        messages: num(values.messages, "messages"),
        window: num(values.window, "window"),
        textBytes: num(values.size, "size"),
        timeoutSeconds,
      });
    case "connect":
      return connect(target, { connections: num(values.connections, "connections"), concurrency: num(values.concurrency, "concurrency"), settleSeconds: 2, timeoutSeconds });
    case "logins":
      return logins(target, {
        accounts: num(values.accounts, "accounts"),
        logins: num(values.logins, "logins"),
        concurrency: num(values["login-concurrency"], "login-concurrency"),
        argon2Samples: num(values["argon2-samples"], "argon2-samples"),
        timeoutSeconds,
      });
    case "login-storm":
      return loginStorm(target, {
        chatClients: num(values["storm-clients"], "storm-clients"),
        rate: num(values["storm-rate"], "storm-rate"),
        idleSeconds: num(values["idle-seconds"], "idle-seconds"),
        logins: num(values["storm-logins"], "storm-logins"),
        rounds: num(values["storm-rounds"], "storm-rounds"),
        afterSeconds: 1,
        textBytes: num(values.size, "size"),
        timeoutSeconds,
      });
    default:
      process.stderr.write(`load: unknown scenario ${String(scenario)}\n`);
      process.exit(2);
  }
}

run().then(
  (result) => {
    for (const def of METRICS[result.scenario]) {
      const value = result.metrics[def.key];
      process.stdout.write(`${def.label.padEnd(34)} ${value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(def.digits)}\n`);
    }
    for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
