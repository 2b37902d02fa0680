/**
 * The primary's side: the single writer of the tables' log, with group
 * commit. Opening the log fences the previous primary's segment (the log
 * layer's recovery), so every entry the previous primary acknowledged is
 * in the log before this primary appends anything. The first entry of each
 * tenure is an empty transaction (a barrier, as Raft's no-op): its position
 * is a committed tail that covers everything earlier, which is what a
 * linearizable read waits for until this primary appends more.
 */
import type { Client } from '../client/index.js';
import { openLog, type Log, type LogPosition } from '../log/index.js';
import { InvalidStateError } from './errors.js';
import { encodeEntry } from './state/codec.js';

/** The log quorums of a tables cluster (the log layer's E/W/A). */
export interface TablesLogOptions {
  /** E: storage nodes each segment is striped over. Default 3. */
  readonly ensembleSize?: number;
  /** W: nodes each entry is written to. Default 3. */
  readonly writeQuorum?: number;
  /** A: fsynced copies before an entry is acknowledged. Default 2. */
  readonly ackQuorum?: number;
  /** The log closes a segment and opens the next after this many entries (truncation removes whole segments). Default 100000. */
  readonly maxSegmentEntries?: number;
  /** ... or this many bytes of entry data. Default 64 MiB. */
  readonly maxSegmentBytes?: number;
  /** ... or, at the next append, once it is this old, in ms. Default 1 hour. */
  readonly maxSegmentAge?: number;
}

/** The log's explicitConfirmDelay for the tables' writer, ms (see PrimaryWriter.open). */
const CONFIRM_DELAY = 1;

interface Pending {
  readonly bytes: Uint8Array;
  resolve(position: LogPosition): void;
  reject(error: unknown): void;
}

/** The log writer of one primary tenure. */
export class PrimaryWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  /** The newest acknowledged position of this tenure. */
  tail: LogPosition;

  private constructor(
    private readonly log: Log,
    barrier: LogPosition,
  ) {
    this.tail = barrier;
  }

  /** Opens (and so fences) the log `logName` and appends the tenure's barrier. */
  static async open(client: Client, logName: string, identifier: string, options: TablesLogOptions): Promise<PrimaryWriter> {
    // A transaction resolves only once its own node has applied it, and the nodes (the primary too) follow
    // with subscribeLog, which sees an entry when its storage nodes learn it is confirmed: with the log's
    // default 20 ms CONFIRM delay every idle commit waited 20 ms for that (bench/tables.ts: p50 26 ms at 1
    // concurrent). 1 ms sends the CONFIRM as soon as a batch is acknowledged (0 would turn it off).
    const log = await openLog(client, logName, { explicitConfirmDelay: CONFIRM_DELAY, ...options, identifier });
    try {
      const barrier = await log.append(encodeEntry({ id: '', reads: [], writes: [] }));
      return new PrimaryWriter(log, barrier);
    } catch (err) {
      await log.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Appends one entry; resolves with its position once acknowledged. Entries
   * that arrive while a batch is being written go together in the next one
   * (group commit through `appendBatch`).
   */
  append(bytes: Uint8Array): Promise<LogPosition> {
    if (this.closed) return Promise.reject(new InvalidStateError('tables primary: the tenure ended'));
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const positions = await this.log.appendBatch(batch.map((p) => p.bytes));
        this.tail = positions[positions.length - 1]!;
        batch.forEach((p, i) => p.resolve(positions[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }

  /** Waits for the appends in flight, then closes the log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.log.close();
    for (const p of this.queue.splice(0)) p.reject(new InvalidStateError('tables primary: the tenure ended'));
  }
}
