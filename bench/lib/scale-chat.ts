/**
 * Chat latency beside the scale study's work: one guest sends to a channel at a steady
 * rate, two others receive; every delivery's one-way latency is kept with its send
 * time, so the samples can be cut afterwards into phases (during a retention pass,
 * after it). Guests, not accounts: chat latency should not depend on logins.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BenchClient } from "./client.js";
import { Hub, MARK_TEXT, nowMicros } from "./load-client.js";
import { closeAll, type Target } from "./scenarios.js";

export interface ChatSamples {
  /** Send time of each delivery (µs, generator clock: nowMicros). */
  readonly sentAt: number[];
  /** Its latency (µs). */
  readonly latency: number[];
  /** Messages sent × receivers − deliveries. */
  readonly lost: number;
}

export class ChatProbe {
  readonly #hub: Hub;
  readonly #clients: BenchClient[];
  readonly #sentAt: number[] = [];
  readonly #latency: number[] = [];
  #sent = 0;
  #pacer: NodeJS.Timeout | null = null;

  private constructor(hub: Hub, clients: BenchClient[]) {
    this.#hub = hub;
    this.#clients = clients;
  }

  /** Opens the sender and two receivers in `channel`. */
  static async open(target: Target, channel: string, timeoutMs: number): Promise<ChatProbe> {
    const hub = new Hub();
    const clients: BenchClient[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const client = await BenchClient.open({ host: target.host, port: target.port, index: i, nick: `chat${i}${Date.now() % 100000}`, hub, timeoutMs });
        clients.push(client);
        await client.join(channel, timeoutMs);
      }
    } catch (error) {
      await closeAll(clients);
      throw error;
    }
    return new ChatProbe(hub, clients);
  }

  /** Starts sending `rate` messages a second to `channel`, `textBytes` long. */
  start(channel: string, rate: number, textBytes: number): void {
    for (const client of this.#clients) client.measuring = true;
    this.#hub.onMark = (receiver, sid, _seq, sent, now) => {
      if (sid !== 0 || receiver.index === 0) return;
      this.#sentAt.push(sent);
      this.#latency.push(now - sent);
    };
    const sender = this.#clients[0]!;
    const pad = "x".repeat(Math.max(0, textBytes - 24));
    const t0 = nowMicros();
    this.#pacer = setInterval(
      () => {
        const now = nowMicros();
        const due = Math.floor(((now - t0) * rate) / 1e6) - this.#sent;
        let out = "";
        for (let i = 0; i < Math.min(due, 100); i++) out += `PRIVMSG ${channel} :${MARK_TEXT}0 ${this.#sent++} ${now} ${pad}\r\n`;
        if (out) sender.send(out);
      },
      Math.max(1, Math.floor(1000 / rate)),
    );
  }

  /** Stops sending, waits up to 5 s for what is in flight, closes the clients. */
  async stop(): Promise<ChatSamples> {
    if (this.#pacer) clearInterval(this.#pacer);
    const expected = this.#sent * (this.#clients.length - 1);
    const t0 = Date.now();
    while (this.#latency.length < expected && Date.now() - t0 < 5000) await sleep(20);
    this.#hub.onMark = () => {};
    await closeAll(this.#clients);
    return { sentAt: [...this.#sentAt], latency: [...this.#latency], lost: expected - this.#latency.length };
  }
}

/** The latencies (µs) of deliveries sent within [from, to) (µs, generator clock). */
export function latenciesBetween(samples: ChatSamples, from: number, to: number): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < samples.sentAt.length; i++) {
    const sent = samples.sentAt[i]!;
    if (sent >= from && sent < to) out.push(samples.latency[i]!);
  }
  return Float64Array.from(out);
}
