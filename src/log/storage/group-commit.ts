/**
 * Group commit: records wait in a queue and go to disk together, one write
 * and one fdatasync per batch, so under load one fsync acknowledges many
 * adds. When to cut a batch is the pure {@link shouldFlush}, with three
 * named triggers (BookKeeper's journal has the same three):
 *
 * - `maxBatchBytes`: enough bytes wait to make a good write.
 * - `maxBatchDelay`: the oldest record has waited long enough.
 * - `queueDrained`: a whole event-loop turn brought no new record, so
 *   waiting longer would only add latency.
 *
 * Only one batch is on its way to disk at a time; the next one fills up
 * meanwhile, which is what makes batches grow with load. There is no timer
 * per batch: while records keep arriving, the queue looks again every
 * event-loop turn (setImmediate), and the delay is measured on the injected
 * clock, so the first turn without a new record flushes.
 */
import type { Clock } from '../../base/clock.js';

/** Why a batch was cut. */
export type FlushTrigger = 'maxBatchBytes' | 'maxBatchDelay' | 'queueDrained';

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
  private idle: Array<() => void> = [];
  /** Batches written per trigger, for stats and tests. */
  readonly triggers: Record<FlushTrigger, number> = { maxBatchBytes: 0, maxBatchDelay: 0, queueDrained: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly limits: FlushLimits,
    private readonly write: (batch: T[], trigger: FlushTrigger) => Promise<void>,
  ) {}

  /** Queues an item; `write` will see it in a later batch. */
  push(item: T): void {
    if (this.queue.length === 0) this.oldestAt = this.clock.now();
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
    this.triggers[trigger]++;
    try {
      await this.write(batch, trigger);
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.look();
      else for (const done of this.idle.splice(0)) done();
    }
  }
}
