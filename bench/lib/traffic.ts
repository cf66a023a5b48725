/**
 * Windowed message traffic with exact accounting. Each flow (one sender, one
 * target) sends `messages` numbered messages, keeping at most `window` of them
 * in flight: a message leaves the window once every expected recipient has it.
 * The generator never queues a backlog of its own, so latency is the server's
 * queueing and work, not ours.
 *
 * Every message carries `%%sid seq sentMicros`; each receiver checks it against
 * what it has already seen from that sender: new (and in order or not),
 * duplicate, or unexpected (a sender it should not hear from).
 */
import { performance } from "node:perf_hooks";
import { MARK_TEXT, nowMicros, type BenchPeer, type Hub } from "./load-client.js";

export interface Flow {
  readonly sender: BenchPeer;
  /** PRIVMSG target: a channel or a nick. */
  readonly target: string;
  /** How many receivers must get each message before it leaves the window. */
  readonly recipients: number;
}

export interface TrafficOptions {
  /** Flow i sends with sender id i. */
  readonly flows: readonly Flow[];
  /** Receivers are the clients with index 0..receivers-1. */
  readonly receivers: number;
  /** Senders a receiver can hear from, each with its own sequence tracking. */
  readonly slots: number;
  /** Which slot of receiver `r` tracks sender `sid`; -1 when `r` should never hear from it. */
  slotOf(receiver: number, sid: number): number;
  /** Messages per flow. */
  readonly messages: number;
  readonly window: number;
  /** Bytes of message text (the marker and numbers, padded). */
  readonly textBytes: number;
  /** Give up when nothing new arrived for this long. */
  readonly stallMs: number;
  /** Give up at this Date.now(). */
  readonly deadline: number;
}

export interface TrafficResult {
  readonly expected: number;
  readonly sent: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly unexpected: number;
  readonly lost: number;
  /** From the first send to the last new delivery. */
  readonly seconds: number;
  /** One-way latencies of the new deliveries in microseconds, in arrival order. */
  readonly latenciesMicros: Float64Array;
  readonly outcome: "complete" | "stalled" | "timeout";
}

/**
 * What receivers got, per stream (one sender as heard by one receiver): each message
 * once (else a duplicate), in order (else counted out of order), with its one-way
 * latency. Shared by the windowed traffic below and the paced rooms scenario.
 */
export class DeliveryLog {
  delivered = 0;
  duplicates = 0;
  reordered = 0;
  unexpected = 0;
  /** Receive time (µs) of the latest new delivery. */
  lastDelivery = 0;
  readonly #seen: Uint8Array;
  readonly #maxSeq: Int32Array;
  readonly #latencies: Float64Array;

  constructor(
    streams: number,
    private readonly perStream: number,
    expected: number,
  ) {
    this.#seen = new Uint8Array(streams * perStream);
    this.#maxSeq = new Int32Array(streams).fill(-1);
    this.#latencies = new Float64Array(expected);
  }

  /** Records message `seq` of `stream`; false when it had arrived before (a duplicate). */
  record(stream: number, seq: number, sentMicros: number, now: number): boolean {
    const key = stream * this.perStream + seq;
    if (this.#seen[key] !== 0) {
      this.duplicates++;
      return false;
    }
    this.#seen[key] = 1;
    if (seq < this.#maxSeq[stream]!) this.reordered++;
    else this.#maxSeq[stream] = seq;
    this.#latencies[this.delivered++] = now - sentMicros;
    this.lastDelivery = now;
    return true;
  }

  /** The latencies of the new deliveries, in arrival order. */
  latencies(): Float64Array {
    return this.#latencies.subarray(0, this.delivered);
  }
}

export function runTraffic(hub: Hub, options: TrafficOptions): Promise<TrafficResult> {
  const { flows, messages: M, slots, window } = options;
  const F = flows.length;
  const expected = flows.reduce((sum, flow) => sum + flow.recipients * M, 0);
  const log = new DeliveryLog(options.receivers * slots, M, expected);
  const complete = new Int32Array(F * M);
  const sent = new Int32Array(F);
  const done = new Int32Array(F);
  const pads = flows.map(() => "");
  let totalDone = 0;
  let totalSent = 0;
  let firstSend = 0;
  let lastProgress = performance.now();

  const topUp = (sid: number): void => {
    const flow = flows[sid]!;
    let out = "";
    const now = nowMicros();
    while (sent[sid]! - done[sid]! < window && sent[sid]! < M) {
      const head = `${MARK_TEXT}${sid} ${sent[sid]} ${now} `;
      const pad = options.textBytes - head.length;
      if (pad > 0 && pads[sid]!.length !== pad) pads[sid] = "x".repeat(pad);
      out += `PRIVMSG ${flow.target} :${head}${pad > 0 ? pads[sid] : ""}\r\n`;
      sent[sid]!++;
      totalSent++;
    }
    if (out.length > 0) flow.sender.send(out);
  };

  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome: TrafficResult["outcome"]): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      hub.onMark = () => {};
      resolve({
        expected,
        sent: totalSent,
        delivered: log.delivered,
        duplicates: log.duplicates,
        reordered: log.reordered,
        unexpected: log.unexpected,
        lost: expected - log.delivered,
        seconds: Math.max(1e-6, (log.lastDelivery - firstSend) / 1e6),
        latenciesMicros: log.latencies(),
        outcome,
      });
    };

    hub.onMark = function onBenchMessage(receiver, sid, seq, sentMicros, now) {
      const r = receiver.index;
      const slot = sid < F && seq < M && r < options.receivers ? options.slotOf(r, sid) : -1;
      if (slot < 0) {
        log.unexpected++;
        return;
      }
      if (!log.record(r * slots + slot, seq, sentMicros, now)) return;
      const slotIndex = sid * M + seq;
      const count = ++complete[slotIndex]!;
      if (count === flows[sid]!.recipients) {
        done[sid]!++;
        totalDone++;
        if (totalDone === F * M) {
          finish("complete");
          return;
        }
        topUp(sid);
      }
    };

    let lastDelivered = -1;
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (log.delivered !== lastDelivered) {
        lastDelivered = log.delivered;
        lastProgress = now;
      }
      if (Date.now() > options.deadline) finish("timeout");
      else if (now - lastProgress > options.stallMs) finish("stalled");
    }, 100);

    firstSend = nowMicros();
    log.lastDelivery = firstSend;
    for (let sid = 0; sid < F; sid++) topUp(sid);
    if (F === 0 || M === 0) finish("complete");
  });
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Percentiles in milliseconds of latencies in microseconds (the input is not changed). */
export function summarise(micros: Float64Array): LatencySummary {
  const n = micros.length;
  if (n === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = micros.slice().sort();
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! / 1000;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[n - 1]! / 1000, mean: sum / n / 1000 };
}
