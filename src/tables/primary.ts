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

/** One log entry: its bytes and position. */
export interface LogEntry {
  readonly data: Uint8Array;
  readonly position: LogPosition;
}

/**
 * Called with each acknowledged batch, in log order, before its callers
 * are resolved; `previous` is the position just before it (the tenure's
 * barrier or the previous batch's last entry). Not called after a failed
 * batch (see `broken`). Must not throw.
 */
export type OnAppended = (entries: readonly LogEntry[], previous: LogPosition) => void;

interface Pending {
  readonly bytes: Uint8Array;
  /** The forwarded transaction's id, for {@link PrimaryWriter.inFlight}. */
  readonly id: string | undefined;
  resolve(position: LogPosition): void;
  reject(error: unknown): void;
}

/** The log writer of one primary tenure. */
export class PrimaryWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  /**
   * Set once an appendBatch failed: it may have written some of its entries
   * without acknowledging them, so a later batch may not follow the last
   * acknowledged one, and only the follower (reading the log) may apply.
   */
  private broken = false;
  /** The ids of the forwarded entries queued or being appended, and their positions to come. */
  private readonly sending = new Map<string, Promise<LogPosition>>();
  /** The newest acknowledged position of this tenure. */
  tail: LogPosition;

  private constructor(
    private readonly log: Log,
    /** The position of this tenure's first entry: everything before it was written by earlier primaries. */
    readonly barrier: LogPosition,
    private readonly onAppended: OnAppended,
  ) {
    this.tail = barrier;
  }

  /** Opens (and so fences) the log `logName` and appends the tenure's barrier. */
  static async open(client: Client, logName: string, identifier: string, options: TablesLogOptions, onAppended: OnAppended): Promise<PrimaryWriter> {
    // A transaction resolves only once its own node has applied it, and the nodes (the primary too) follow
    // with subscribeLog, which sees an entry when its storage nodes learn it is confirmed: with the log's
    // default 20 ms CONFIRM delay every idle commit waited 20 ms for that (bench/tables.ts: p50 26 ms at 1
    // concurrent). 1 ms sends the CONFIRM as soon as a batch is acknowledged (0 would turn it off).
    const log = await openLog(client, logName, { explicitConfirmDelay: CONFIRM_DELAY, ...options, identifier });
    try {
      const barrier = await log.append(encodeEntry({ id: '', reads: [], writes: [] }));
      return new PrimaryWriter(log, barrier, onAppended);
    } catch (err) {
      await log.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Appends one entry; resolves with its position once acknowledged (and
   * handed to `onAppended`). Group commit: an entry that arrives while no
   * batch is being written goes at once, alone; entries that arrive while
   * one is go together in the next `appendBatch`, as soon as it finishes
   * (no timer ever holds an entry back). `id` names a forwarded
   * transaction, for {@link inFlight}.
   */
  append(bytes: Uint8Array, id?: string): Promise<LogPosition> {
    if (this.closed) return Promise.reject(new InvalidStateError('tables primary: the tenure ended'));
    const position = new Promise<LogPosition>((resolve, reject) => {
      this.queue.push({ bytes, id, resolve, reject });
      if (!this.flushing) void this.flush();
    });
    if (id !== undefined) {
      this.sending.set(id, position);
      const forget = (): void => void this.sending.delete(id);
      position.then(forget, forget);
    }
    return position;
  }

  /** The position to come of the forwarded entry `id` while it is queued or being appended in this tenure. */
  inFlight(id: string): Promise<LogPosition> | undefined {
    return this.sending.get(id);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      let positions: LogPosition[];
      try {
        positions = await this.log.appendBatch(batch.map((p) => p.bytes));
      } catch (err) {
        this.broken = true;
        for (const p of batch) p.reject(err);
        continue;
      }
      const previous = this.tail;
      this.tail = positions[positions.length - 1]!;
      if (!this.broken) {
        this.onAppended(
          batch.map((p, i) => ({ data: p.bytes, position: positions[i]! })),
          previous,
        );
      }
      batch.forEach((p, i) => p.resolve(positions[i]!));
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
