/**
 * The change feed behind `db.changes()`: the changes this node applied, kept
 * in memory for the last `changeHistory` of them, so a consumer resumes from
 * a position it saw. A position older than what is kept is refused
 * explicitly (HistoryUnavailableError) rather than answered with a gap, as
 * CorfuDB refuses versions older than its cache.
 */
import { abortReason } from '../base/wait.js';
import { HistoryUnavailableError } from './errors.js';
import type { Change } from './state/apply.js';
import { comparePosition, type Position } from './state/store.js';

/** Options of `db.changes()`. */
export interface ChangesOptions {
  /** Only the changes of this table. Default every table. */
  readonly table?: string;
  /** The first position to deliver (inclusive). Default: the changes applied after the call. */
  readonly from?: Position;
  /** Deliver only changes after this position (to resume after the last change seen). */
  readonly after?: Position;
  /** Ends the iteration: it rejects with CancelledError (or the signal's HerdError reason). */
  readonly signal?: AbortSignal;
}

/** A bounded in-memory history of applied changes with waiting readers. */
export class ChangeFeed {
  private readonly history: Change[] = [];
  /** Sequence number of history[0]. */
  private first = 0;
  /** The newest position dropped from the history; null when nothing was. */
  private dropped: Position | null = null;
  private wake: (() => void)[] = [];
  private closed = false;

  constructor(private readonly limit: number) {}

  /** Adds the changes of one applied entry. */
  push(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    this.history.push(...changes);
    const excess = this.history.length - this.limit;
    if (excess > 0) {
      this.dropped = this.history[excess - 1]!.position;
      this.history.splice(0, excess);
      this.first += excess;
    }
    for (const w of this.wake.splice(0)) w();
  }

  /** Forgets the history (after a snapshot load: what came before is not this node's to tell). */
  reset(position: Position | null): void {
    this.first += this.history.length;
    this.history.length = 0;
    this.dropped = position;
  }

  /** Ends every iteration (they return). */
  close(): void {
    this.closed = true;
    for (const w of this.wake.splice(0)) w();
  }

  /** The iterator of {@link ChangesOptions}. */
  async *iterate(options: ChangesOptions): AsyncGenerator<Change, void, undefined> {
    const { table, signal } = options;
    const start = options.after ?? options.from;
    let seq: number;
    if (start === undefined) seq = this.first + this.history.length;
    else {
      if (this.dropped !== null && comparePosition(start, this.dropped) <= 0) {
        throw new HistoryUnavailableError(
          `changes from ${start.segmentId}:${start.entryId}: this node keeps changes after ${this.dropped.segmentId}:${this.dropped.entryId} only`,
        );
      }
      const i = this.history.findIndex((c) => {
        const cmp = comparePosition(c.position, start);
        return options.after !== undefined ? cmp > 0 : cmp >= 0;
      });
      seq = this.first + (i < 0 ? this.history.length : i);
    }
    for (;;) {
      if (signal?.aborted) throw abortReason(signal, 'changes');
      if (this.closed) return;
      if (seq < this.first) throw new HistoryUnavailableError('changes: the consumer fell behind the kept history');
      while (seq < this.first + this.history.length) {
        const change = this.history[seq - this.first]!;
        seq++;
        if (table === undefined || change.table === table) yield change;
        if (seq < this.first) throw new HistoryUnavailableError('changes: the consumer fell behind the kept history');
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.wake.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }
}
