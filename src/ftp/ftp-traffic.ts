import { Transform, type TransformCallback } from "node:stream";

export type TransferOutcome = "complete" | "aborted" | "failed";

/**
 * What one kind of FTP data transfer has moved since the server started: plain numbers
 * the data path adds to (a field increment per chunk, no lookup, no allocation), read
 * when metrics are scraped (src/metrics/server-metrics.ts).
 */
export class TransferTally {
  /** Payload bytes on the data connections (after ASCII conversion on the way out, before it on the way in; TLS not included). */
  bytes = 0;
  complete = 0;
  /** Cut by the client: ABOR, or its control connection closing (QUIT and REIN let a transfer complete). */
  aborted = 0;
  /** Anything else that ended it early: the data connection lost or refused, TLS, quota, a full disk. */
  failed = 0;

  constructor(
    readonly direction: "received" | "sent",
    readonly content: "file" | "listing",
  ) {}

  ended(outcome: TransferOutcome): void {
    this[outcome]++;
  }
}

/** Every FTP transfer of this node, by kind (one FtpTraffic per FTP service). */
export class FtpTraffic {
  /** STOR, APPE, STOU. */
  readonly uploads = new TransferTally("received", "file");
  /** RETR. */
  readonly downloads = new TransferTally("sent", "file");
  /** LIST, NLST, MLSD. */
  readonly listings = new TransferTally("sent", "listing");

  all(): readonly TransferTally[] {
    return [this.uploads, this.downloads, this.listings];
  }
}

/** Passes bytes through unchanged, adding their count to `tally` (an upload's first stage, so it sees them as they came). */
export class ByteCounter extends Transform {
  constructor(private readonly tally: TransferTally) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tally.bytes += chunk.length;
    callback(null, chunk);
  }
}
