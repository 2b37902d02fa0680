/**
 * Waiting for an applied position: the one primitive behind session reads,
 * linearizable reads and a transaction's wait for its own entry (rqlite's
 * ready target). It follows the wait contract of docs/conventions.md
 * (`{ timeout, signal }`), and the staleness rule of local reads is a pure
 * function beside it.
 */
import type { Clock } from '../base/clock.js';
import { abortReason, timeoutError, type WaitOptions } from '../base/wait.js';
import { comparePosition, type Position } from './state/store.js';

interface Waiter {
  readonly position: Position;
  resolve(): void;
  reject(error: Error): void;
}

/** The applied position of a node and the callers waiting for it to reach theirs. */
export class AppliedPosition {
  private current: Position | null = null;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;

  constructor(private readonly clock: Clock) {}

  /** The last applied position, or null before the first entry. */
  get position(): Position | null {
    return this.current;
  }

  /** True when `position` has been applied. */
  reached(position: Position): boolean {
    return this.current !== null && comparePosition(this.current, position) >= 0;
  }

  /** Records a new applied position (never backwards unless `reset`) and wakes the waiters it satisfies. */
  advance(position: Position | null, reset = false): void {
    if (position === null || (!reset && this.current !== null && comparePosition(position, this.current) <= 0)) return;
    this.current = position;
    const still: Waiter[] = [];
    for (const w of this.waiters) (this.reached(w.position) ? w.resolve : () => still.push(w))();
    this.waiters = still;
  }

  /** Rejects every waiter, now and later, with `error` (the node closed). */
  fail(error: Error): void {
    this.failure = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  /**
   * Resolves once `position` is applied. Rejects with TimeoutError after
   * `timeout` ms, CancelledError when `signal` aborts, or the error the node
   * closed with.
   */
  wait(position: Position, options: WaitOptions = {}, what = 'wait for applied position'): Promise<void> {
    if (this.reached(position)) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const { timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal, what));
    if (timeout === 0) return Promise.reject(timeoutError(what, 0));
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const done = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter: Waiter = {
        position,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(abortReason(signal!, what));
      if (timeout !== undefined) timer = this.clock.setTimeout(() => waiter.reject(timeoutError(`${what} ${position.segmentId}:${position.entryId}`, timeout)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

/** What the staleness rule of a local read looks at. */
export interface StalenessInput {
  /** This node's last applied position (null: nothing applied). */
  readonly applied: Position | null;
  /** The newest position this node has heard of (from the primary's published tail, or its own writes); null when none. */
  readonly newest: Position | null;
  /** When (clock ms) this node first heard of a position it had not applied, since it was last caught up; undefined when caught up. */
  readonly behindSince: number | undefined;
  /** Now, on the same clock. */
  readonly now: number;
  /** The read's `maxStaleness`, in ms. */
  readonly maxStaleness: number;
}

/**
 * True when a local read with `maxStaleness` must be refused: this node is
 * behind the newest position it knows of, and has been for more than
 * `maxStaleness` ms. A node that is caught up is never stale, however long
 * ago it last heard from the primary: it cannot know of what it has not heard.
 */
export function isStaleRead(input: StalenessInput): boolean {
  const { applied, newest, behindSince, now, maxStaleness } = input;
  if (newest === null) return false;
  if (applied !== null && comparePosition(applied, newest) >= 0) return false;
  return behindSince !== undefined && now - behindSince > maxStaleness;
}
