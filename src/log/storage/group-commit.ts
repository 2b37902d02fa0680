/**
 * Group commit: records wait in a queue and go to disk together, one write
 * and one fdatasync per batch, so under load one fsync acknowledges many
 * adds. When to cut a batch is the pure {@link shouldFlush}, with four
 * named triggers (the first three are BookKeeper's journal's):
 *
 * - `maxBatchBytes`: enough bytes wait to make a good write.
 * - `maxBatchDelay`: the oldest record has waited long enough.
 * - `queueDrained`: a whole event-loop turn brought no new record, so
 *   waiting longer would only add latency.
 * - `journalIdle`: the journal had nothing to write for a whole turn
 *   before these records came, so nobody else is writing: they go in the
 *   turn they arrived (after every socket read of that turn), not one turn
 *   later. This is the path of every add of a writer with one batch in
 *   flight.
 *
 * Only one batch is on its way to disk at a time; the next one fills up
 * meanwhile, which is what makes batches grow with load (records that
 * arrive while a batch is written, or right after it, wait by the first
 * three triggers). There is no timer per batch: while records keep
 * arriving, the queue looks again every event-loop turn (setImmediate), and
 * the delay is measured on the injected clock, so the first turn without a
 * new record flushes.
 */
import type { Clock } from '../../base/clock.js';

/** Why a batch was cut. */
export type FlushTrigger = 'maxBatchBytes' | 'maxBatchDelay' | 'queueDrained' | 'journalIdle';

/** What {@link shouldFlush} looks at. */
export interface FlushState {
  /** Records waiting. */
  queuedRecords: number;
  /** Bytes waiting. */
  queuedBytes: number;
  /** Milliseconds the oldest waiting record has waited. */
  oldestWaited: number;
  /** Records that arrived since the previous look (0: the input is idle). */
  arrivedSinceLastLook: number;
  /** A batch is being written and synced: the next must wait for it. */
  writing: boolean;
  /** The queue and the journal were idle for a whole turn before the records now waiting came (false when absent). */
  idleBefore?: boolean;
}

/** The limits of a batch. */
export interface FlushLimits {
  /** Milliseconds a record may wait for its batch. */
  maxBatchDelay: number;
  /** Bytes that make a batch worth writing at once. */
  maxBatchBytes: number;
}

/** Whether to write the waiting records now, and why; null to keep waiting. */
export function shouldFlush(state: FlushState, limits: FlushLimits): FlushTrigger | null {
  if (state.queuedRecords === 0 || state.writing) return null;
  if (state.queuedBytes >= limits.maxBatchBytes) return 'maxBatchBytes';
  if (state.oldestWaited >= limits.maxBatchDelay) return 'maxBatchDelay';
  if (state.arrivedSinceLastLook === 0) return 'queueDrained';
  if (state.idleBefore === true) return 'journalIdle';
  return null;
}

/** A queued item: its size decides the `maxBatchBytes` trigger. */
export interface Batchable {
  readonly bytes: number;
}

/**
 * The queue that applies {@link shouldFlush}. `write` gets each batch in
 * queue order and must settle every item of it itself (it never throws).
 */
export class GroupCommit<T extends Batchable> {
  private queue: T[] = [];
  private queuedBytes = 0;
  private oldestAt = 0;
  private arrived = 0;
  private writing = false;
  private lookScheduled = false;
  /**
   * Nothing was queued or written through a whole turn (checked one turn
   * after the last batch ended): the next record starts {@link idleBefore}.
   * True at first: a new journal has nobody else to wait for.
   */
  private idleTurn = true;
  /** The records waiting came to a journal idle for a turn (see `journalIdle`). */
  private idleBefore = false;
  private idle: Array<() => void> = [];
  /** Batches written per trigger, for stats and tests. */
  readonly triggers: Record<FlushTrigger, number> = { maxBatchBytes: 0, maxBatchDelay: 0, queueDrained: 0, journalIdle: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly limits: FlushLimits,
    private readonly write: (batch: T[], trigger: FlushTrigger) => Promise<void>,
  ) {}

  /** Queues an item; `write` will see it in a later batch. */
  push(item: T): void {
    if (this.queue.length === 0) {
      this.oldestAt = this.clock.now();
      this.idleBefore = this.idleTurn && !this.writing;
    }
    this.idleTurn = false;
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    this.arrived++;
    if (!this.writing) this.scheduleLook();
  }

  /** Resolves once every item queued so far has been written (or failed). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && !this.writing) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private scheduleLook(): void {
    if (this.lookScheduled) return;
    this.lookScheduled = true;
    setImmediate(() => {
      this.lookScheduled = false;
      this.look();
    });
  }

  private look(): void {
    const trigger = shouldFlush(
      {
        queuedRecords: this.queue.length,
        queuedBytes: this.queuedBytes,
        oldestWaited: this.clock.now() - this.oldestAt,
        arrivedSinceLastLook: this.arrived,
        writing: this.writing,
        idleBefore: this.idleBefore,
      },
      this.limits,
    );
    this.arrived = 0;
    if (trigger) void this.flush(trigger);
    else if (this.queue.length > 0 && !this.writing) this.scheduleLook();
  }

  private async flush(trigger: FlushTrigger): Promise<void> {
    this.writing = true;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.idleBefore = false;
    this.triggers[trigger]++;
    try {
      await this.write(batch, trigger);
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.look();
      else {
        for (const done of this.idle.splice(0)) done();
        this.watchIdle();
      }
    }
  }

  /**
   * Marks the journal idle if a whole turn after the last batch brings no
   * record: records that come right after a batch (a busy node) still wait
   * by the other triggers and share a write.
   */
  private watchIdle(): void {
    setImmediate(() => {
      if (this.queue.length === 0 && !this.writing) this.idleTurn = true;
    });
  }
}
