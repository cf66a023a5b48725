/**
 * Scenarios that need accounts, so they run against our server only (ngircd has
 * none): SASL PLAIN logins per second, and chat latency while many clients log
 * in at once. Accounts are made over IRC with the server's own REGISTER command
 * (IRCv3 draft/account-registration) before anything is measured.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { hash, verify } from "@node-rs/argon2";
import { ARGON2_PARAMETERS } from "../../src/auth/passwords.js";
import { BenchClient } from "./client.js";
import { Hub, MARK_TEXT, nowMicros, numericOf } from "./load-client.js";
import { statusKiB } from "./proc.js";
import { closeAll, cpuDelta, cpuMark, firstErrors, onlyClients, pool, waitQuiet, type CpuUse, type ScenarioResult, type Target } from "./scenarios.js";
import { summarise } from "./traffic.js";

/** The name of the i-th benchmark account. */
export function accountName(index: number): string {
  return `acct${index}`;
}

/** A password the policy accepts (long, not a common one), new for every run. */
export function benchPassword(): string {
  return `bench-${randomBytes(9).toString("hex")}`;
}

/**
 * Creates accounts acct0..acct<count-1>, all with `password`: each over its own
 * registered connection with `REGISTER acctN * PASSWORD`. Returns the seconds it took.
 */
export async function registerAccounts(target: Target, hub: Hub, count: number, password: string, concurrency: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const results = await pool(count, concurrency, async (index) => {
    const client = await BenchClient.open({ host: target.host, port: target.port, index, nick: `reg${index}`, hub, timeoutMs });
    try {
      const name = accountName(index);
      const reply = client.waitFor((line) => / REGISTER SUCCESS /.test(line) || / FAIL REGISTER /.test(line) || line.startsWith("ERROR"), timeoutMs, `REGISTER ${name}`);
      client.send(`REGISTER ${name} * ${password}\r\n`);
      const line = await reply;
      if (!line.includes(" REGISTER SUCCESS ")) throw new Error(`REGISTER ${name} refused: ${line}`);
    } finally {
      client.destroy();
    }
  });
  const errors = firstErrors(results);
  if (errors.length > 0) throw new Error(`could not create the benchmark accounts: ${errors.join("; ")}`);
  return (performance.now() - t0) / 1000;
}

export interface Login {
  readonly client: BenchClient;
  /** Connect → RPL_WELCOME, µs. */
  readonly micros: number;
}

/**
 * One SASL PLAIN login as a client library does it: connect, `CAP REQ :sasl` with
 * NICK/USER, `AUTHENTICATE PLAIN`, the credentials, 903, `CAP END`, 001.
 */
export async function saslLogin(target: Target, hub: Hub, index: number, nick: string, account: string, password: string, timeoutMs: number): Promise<Login> {
  const t0 = nowMicros();
  const client = await BenchClient.connect({ host: target.host, port: target.port, index, nick, hub, timeoutMs });
  try {
    // A refused NICK comes early (before CAP END) and would leave registration waiting for another.
    const isRefusal = (line: string): boolean => /^(43[1-6]|ERROR)$/.test(numericOf(line)) || line.startsWith("ERROR");
    const ack = client.waitFor((line) => (numericOf(line) === "CAP" && / (ACK|NAK) /.test(line)) || isRefusal(line), timeoutMs, "CAP ACK sasl");
    client.send(`CAP REQ :sasl\r\nNICK ${nick}\r\nUSER ${nick} 0 * :bench login\r\n`);
    const ackLine = await ack;
    if (!ackLine.includes(" ACK ")) throw new Error(`sasl not acknowledged: ${ackLine}`);
    const isSaslEnd = (line: string): boolean => /^90[2-8]$/.test(numericOf(line)) || isRefusal(line);
    const go = client.waitFor((line) => line.startsWith("AUTHENTICATE ") || isSaslEnd(line), timeoutMs, "AUTHENTICATE +");
    client.send("AUTHENTICATE PLAIN\r\n");
    const goLine = await go;
    if (goLine !== "AUTHENTICATE +") throw new Error(`AUTHENTICATE PLAIN refused: ${goLine}`);
    const done = client.waitFor((line) => numericOf(line) !== "900" && isSaslEnd(line), timeoutMs, "903");
    client.send(`AUTHENTICATE ${Buffer.from(`\0${account}\0${password}`, "utf8").toString("base64")}\r\n`);
    const doneLine = await done;
    if (numericOf(doneLine) !== "903") throw new Error(`SASL failed: ${doneLine.replace(/^:\S+ /, "")}`);
    const welcome = client.waitFor((line) => ["001", "432", "433"].includes(numericOf(line)) || line.startsWith("ERROR"), timeoutMs, "001");
    client.send("CAP END\r\n");
    const welcomeLine = await welcome;
    if (numericOf(welcomeLine) !== "001") throw new Error(`registration refused: ${welcomeLine}`);
    return { client, micros: nowMicros() - t0 };
  } catch (error) {
    client.destroy();
    throw error;
  }
}

export interface Argon2Reference {
  /** Median wall time of one verify, one at a time, in this process (ms). */
  readonly wallMs: number;
  /** CPU of this whole process per verify (ms): the verify on the thread pool plus the little around it. */
  readonly cpuMs: number;
}

/**
 * Times argon2id verification with the server's parameters (src/auth/passwords.ts)
 * in this process, one at a time: the cost floor of a password login.
 */
export async function argon2Reference(samples: number): Promise<Argon2Reference> {
  const password = benchPassword();
  const phc = await hash(password, ARGON2_PARAMETERS);
  if (!(await verify(phc, password))) throw new Error("argon2 reference: verify failed");
  const walls: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await verify(phc, password);
    walls.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  walls.sort((a, b) => a - b);
  return { wallMs: walls[walls.length >> 1]!, cpuMs: (cpu.user + cpu.system) / 1000 / samples };
}

export interface LoginsOptions {
  /** Accounts to create first; logins go round them. */
  readonly accounts: number;
  /** Logins to measure. */
  readonly logins: number;
  /** Logins in flight at once. */
  readonly concurrency: number;
  /** Sequential argon2id verifies timed in-process for the reference. */
  readonly argon2Samples: number;
  readonly timeoutSeconds: number;
}

/** L SASL PLAIN logins, C at a time, round the N accounts; each stays connected until the end. */
export async function logins(target: Target, options: LoginsOptions): Promise<ScenarioResult> {
  const hub = new Hub();
  const notes: string[] = [];
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const password = benchPassword();
  const registerSeconds = await registerAccounts(target, hub, options.accounts, password, 8, 30_000);
  await waitQuiet(hub, 300, 5000);
  // The reference while the server is idle, on the generator's CPU.
  const argon2 = await argon2Reference(options.argon2Samples);
  const start = cpuMark(target);
  const t0 = performance.now();
  const results = await pool(options.logins, options.concurrency, (index) => {
    const timeoutMs = Math.min(30_000, deadline - Date.now());
    if (timeoutMs <= 0) return Promise.reject(new Error("scenario timeout reached before logging in"));
    return saslLogin(target, hub, index, `login${index}`, accountName(index % options.accounts), password, timeoutMs);
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(target, start);
  const done = results.filter((r): r is Login => !(r instanceof Error));
  try {
    const failed = results.length - done.length;
    if (failed > 0) notes.push(`login failures: ${firstErrors(results).join("; ")}`);
    const latency = summarise(Float64Array.from(done, (l) => l.micros));
    const serverMsPer = cpu.serverMicros / 1000 / Math.max(1, done.length);
    const peak = target.pid === null ? null : statusKiB(target.pid, "VmHWM");
    return {
      scenario: "logins",
      target: target.name,
      metrics: {
        rate: done.length / seconds,
        ok: done.length,
        failed,
        p50_ms: latency.p50,
        p99_ms: latency.p99,
        max_ms: latency.max,
        server_ms_per: serverMsPer,
        main_ms_per: cpu.serverMainMicros / 1000 / Math.max(1, done.length),
        pool_ms_per: (cpu.serverMicros - cpu.serverMainMicros) / 1000 / Math.max(1, done.length),
        server_cpu_pct: cpu.serverPct,
        argon2_wall_ms: argon2.wallMs,
        argon2_cpu_ms: argon2.cpuMs,
        per_argon2: serverMsPer / argon2.cpuMs,
        argon2_bound: 1000 / argon2.cpuMs,
        rss_peak_mib: peak === null ? Number.NaN : peak / 1024,
        register_seconds: registerSeconds,
        gen_cpu_pct: cpu.generatorPct,
        others_cpu_pct: cpu.othersPct,
        seconds,
      },
      notes,
    };
  } finally {
    await closeAll(done.map((l) => l.client));
  }
}

export interface LoginStormOptions {
  /** Clients in the chat channel: one sender, the rest receive. */
  readonly chatClients: number;
  /** Messages per second the sender sends, paced. */
  readonly rate: number;
  /** Seconds of chat with no logins before each storm (the first half second is not counted). */
  readonly idleSeconds: number;
  /** Logins started at once in each storm. */
  readonly logins: number;
  /** Idle period + storm, this many times in one run (the samples of all rounds are pooled). */
  readonly rounds: number;
  /** Seconds the chat goes on after the last login. */
  readonly afterSeconds: number;
  readonly textBytes: number;
  readonly timeoutSeconds: number;
}

const WARMUP_MICROS = 500_000;

interface Phase {
  readonly start: number;
  readonly end: number;
}

/** CPU figures summed over several intervals. */
class CpuSum {
  wall = 0;
  server = 0;
  main = 0;
  mainWait = 0;
  generator = 0;
  others = 0;

  add(cpu: CpuUse): void {
    this.wall += cpu.wallMicros;
    this.server += cpu.serverMicros;
    this.main += cpu.serverMainMicros;
    this.mainWait += cpu.serverMainWaitMicros;
    this.generator += (cpu.generatorPct * cpu.wallMicros) / 100;
    this.others += (cpu.othersPct * cpu.wallMicros) / 100;
  }

  pct(micros: number): number {
    return (micros / Math.max(1, this.wall)) * 100;
  }
}

/**
 * A steady paced PRIVMSG stream in a small channel. Each round has an idle period
 * with no logins, then a storm: S SASL PLAIN logins started at the same moment
 * (they stay connected). Each delivery's latency is filed under the phase in which
 * its message was sent: idle (less its first half second) or storm (from the
 * first login's connect to the last login's 001). Rounds alternate the two, so
 * slow changes in machine load hit both alike.
 */
export async function loginStorm(target: Target, options: LoginStormOptions): Promise<ScenarioResult> {
  const hub = new Hub();
  const notes: string[] = [];
  const timeoutMs = Math.max(1000, Math.min(30_000, options.timeoutSeconds * 1000));
  const password = benchPassword();
  await registerAccounts(target, hub, options.logins, password, 8, 30_000);
  const opened = await pool(options.chatClients, 10, (index) => BenchClient.open({ host: target.host, port: target.port, index, nick: `chat${index}`, hub, timeoutMs }));
  const chat = onlyClients(opened);
  const storm: BenchClient[] = [];
  try {
    if (chat.length !== options.chatClients) throw new Error(`only ${chat.length}/${options.chatClients} chat clients registered: ${firstErrors(opened).join("; ")}`);
    const channel = "#storm";
    for (const client of chat) await client.join(channel, timeoutMs);
    await waitQuiet(hub, 300, 5000);
    for (const client of chat) client.measuring = true;

    // Deliveries: send time and latency, classified into phases at the end.
    const sentAt: number[] = [];
    const latency: number[] = [];
    let unexpected = 0;
    hub.onMark = (receiver, sid, _seq, sent, now) => {
      if (sid !== 0 || receiver.index === 0) {
        unexpected++;
        return;
      }
      sentAt.push(sent);
      latency.push(now - sent);
    };
    const sender = chat[0]!;
    const pad = "x".repeat(Math.max(0, options.textBytes - 24));
    let sentCount = 0;
    const t0 = nowMicros();
    const pace = (): void => {
      const now = nowMicros();
      const due = Math.floor(((now - t0) * options.rate) / 1e6) - sentCount;
      let out = "";
      for (let i = 0; i < Math.min(due, 100); i++) out += `PRIVMSG ${channel} :${MARK_TEXT}0 ${sentCount++} ${now} ${pad}\r\n`;
      if (out) sender.send(out);
    };
    const pacer = setInterval(pace, Math.max(1, Math.floor(1000 / options.rate)));

    const idlePhases: Phase[] = [];
    const stormPhases: Phase[] = [];
    const idleCpu = new CpuSum();
    const stormCpu = new CpuSum();
    const loginResults: Array<Login | Error> = [];
    for (let round = 0; round < options.rounds; round++) {
      const idleStart = nowMicros();
      await sleep(WARMUP_MICROS / 1000);
      const idleMark = cpuMark(target);
      await sleep(options.idleSeconds * 1000 - WARMUP_MICROS / 1000);
      const stormStart = nowMicros();
      idleCpu.add(cpuDelta(target, idleMark));
      idlePhases.push({ start: idleStart + WARMUP_MICROS, end: stormStart });
      const stormMark = cpuMark(target);
      const results = await Promise.all(
        Array.from({ length: options.logins }, (_, i) =>
          saslLogin(target, hub, 1000 + i, `storm${round}x${i}`, accountName(i), password, timeoutMs).then(
            (login) => {
              storm.push(login.client);
              return login;
            },
            (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
          ),
        ),
      );
      stormCpu.add(cpuDelta(target, stormMark));
      stormPhases.push({ start: stormStart, end: nowMicros() });
      loginResults.push(...results);
    }
    await sleep(options.afterSeconds * 1000);
    clearInterval(pacer);
    const expected = sentCount * (chat.length - 1);
    const settle = performance.now();
    while (latency.length < expected && performance.now() - settle < 5000) await sleep(20);
    hub.onMark = () => {};

    const done = loginResults.filter((r): r is Login => !(r instanceof Error));
    if (done.length !== loginResults.length) notes.push(`storm login failures: ${firstErrors(loginResults).join("; ")}`);
    if (unexpected > 0) notes.push(`${unexpected} unexpected chat deliveries`);
    const within = (phases: readonly Phase[], sent: number): boolean => phases.some((p) => sent >= p.start && sent <= p.end);
    const idle: number[] = [];
    const during: number[] = [];
    for (let i = 0; i < sentAt.length; i++) {
      const sent = sentAt[i]!;
      if (within(idlePhases, sent)) idle.push(latency[i]!);
      else if (within(stormPhases, sent)) during.push(latency[i]!);
    }
    const stormSeconds = stormPhases.map((p) => (p.end - p.start) / 1e6);
    if (during.length < 100) notes.push(`only ${during.length} deliveries fell inside the storms (${stormSeconds.map((x) => x.toFixed(2)).join(", ")} s): raise --storm-rate or --storm-logins for a steadier p99`);
    const a = summarise(Float64Array.from(idle));
    const b = summarise(Float64Array.from(during));
    const loginLatency = summarise(Float64Array.from(done, (l) => l.micros));
    return {
      scenario: "login-storm",
      target: target.name,
      metrics: {
        idle_p50_ms: a.p50,
        idle_p99_ms: a.p99,
        idle_max_ms: a.max,
        storm_p50_ms: b.p50,
        storm_p99_ms: b.p99,
        storm_max_ms: b.max,
        p50_ratio: b.p50 / a.p50,
        p99_ratio: b.p99 / a.p99,
        idle_samples: idle.length,
        storm_samples: during.length,
        lost: expected - latency.length,
        logins_ok: done.length,
        logins_failed: loginResults.length - done.length,
        rounds: options.rounds,
        storm_seconds: stormSeconds.reduce((t, x) => t + x, 0) / Math.max(1, stormSeconds.length),
        login_p50_ms: loginLatency.p50,
        login_max_ms: loginLatency.max,
        idle_server_cpu_pct: idleCpu.pct(idleCpu.server),
        storm_server_cpu_pct: stormCpu.pct(stormCpu.server),
        idle_main_cpu_pct: idleCpu.pct(idleCpu.main),
        storm_main_cpu_pct: stormCpu.pct(stormCpu.main),
        idle_main_wait_pct: idleCpu.pct(idleCpu.mainWait),
        storm_main_wait_pct: stormCpu.pct(stormCpu.mainWait),
        gen_cpu_pct: stormCpu.pct(stormCpu.generator),
        idle_others_cpu_pct: idleCpu.pct(idleCpu.others),
        storm_others_cpu_pct: stormCpu.pct(stormCpu.others),
      },
      notes,
    };
  } finally {
    await closeAll([...chat, ...storm]);
  }
}
