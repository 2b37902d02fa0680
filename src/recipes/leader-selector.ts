/**
 * LeaderSelector: Curator-style leadership that is taken, used and given
 * up: when elected, `takeLeadership(signal)` runs; when it returns,
 * leadership is released and (with `autoRequeue`) the selector queues again.
 * Built on {@link Lock}, so it shares Kazoo's Election layout: Herd
 * selectors, Herd Elections and Kazoo Elections on one path take turns.
 *
 * Usage:
 * ```ts
 * const selector = new LeaderSelector(client, '/app/leader', async (lost) => {
 *   await doLeaderWork({ signal: lost });   // leadership ends when this returns
 * }, { identifier: 'node-a', autoRequeue: true });
 * await selector.start();
 * selector.interruptLeadership();            // aborts the signal given to takeLeadership
 * await selector.close();                    // or: await using selector = ...;
 * ```
 *
 * Node layout, by `layout`:
 * - `'kazoo'` (default): Lock's (`<path>/<uuid hex>__lock__<seq>`, data =
 *   identifier), shared with Herd's and Kazoo's Election.
 * - `'curator'`: Curator's LeaderSelector, i.e. its InterProcessMutex with
 *   protection: `<path>/_c_<uuid>-lock-<seq>`, data = identifier, ordered
 *   by the sequence after `lock-`. Herd and Java (Curator) selectors then
 *   take turns on one path. The two layouts do not see each other's nodes:
 *   every selector on a path must use the same one.
 *
 * Failure handling: the signal given to `takeLeadership` aborts at once on
 * session expiry (or a connection lost past the session timeout), on
 * `interruptLeadership()` and on `close()`; the function must return then.
 * A failed attempt (e.g. the session expired while queued) is reported on
 * `error` and retried after a short pause (on the client's clock) once the
 * client is connected again, until the selector is closed.
 *
 * Limits: leadership is not fenced: a leader partitioned away learns of its
 * loss only when the session times out.
 */
import { EventEmitter } from 'node:events';
import { sleep } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { CancelledError, HerdError, InvalidStateError } from '../errors.js';
import { Lock } from './lock.js';
import { Wakeup, isSessionGone, protectedPrefix, type HoldOptions, onSessionEvents } from './internal/index.js';

/** The node name of Curator's InterProcessMutex, which its LeaderSelector queues on. */
export const CURATOR_LOCK_NODE_NAME = 'lock-';

/** Options of {@link LeaderSelector}. */
export interface LeaderSelectorOptions extends HoldOptions {
  /** Our identifier, stored in our contender node. Default ''. */
  identifier?: string;
  /** Queue again after each leadership. Default false. */
  autoRequeue?: boolean;
  /**
   * Whose node layout to queue with: `'kazoo'` (Election's, the default) or
   * `'curator'` (Curator's LeaderSelector, for Java processes on the same path).
   */
  layout?: 'kazoo' | 'curator';
}

/**
 * Lock with the node names of Curator's InterProcessMutex with protection
 * (`_c_<uuid>-lock-<seq>`), which Curator's LeaderSelector uses. Curator
 * orders contenders by what follows `lock-`, that is the sequence, as Lock
 * does; Kazoo's `__lock__` names would not match Curator's `lock-`, so the
 * two sides would each see themselves first.
 */
class CuratorMutex extends Lock {
  // 'lock' without its dash: Lock reads a sequence as Kazoo does, `-?\d{10}`
  // (ZooKeeper's counter past 2^31 prints negative), so the dash of `lock-`
  // is read as a sign. Matching on 'lock' reads it so for every contender
  // alike (`-0000000007`), the sort order Curator's nodes get from Kazoo's rule.
  protected override readonly nodeName: string = 'lock';
  protected override readonly excludeNames: readonly string[] = ['lock'];
  private curatorPrefix: string | undefined;

  /** Curator's protection prefix and node name: `_c_<dashed uuid>-lock-`, fresh per object, so it is found again after a connection loss. */
  override get prefix(): string {
    this.curatorPrefix ??= protectedPrefix() + CURATOR_LOCK_NODE_NAME;
    return this.curatorPrefix;
  }
}

/** The events of {@link LeaderSelector}. */
export interface LeaderSelectorEvents {
  /** Leadership taken (before takeLeadership runs). */
  elected: [];
  /** Leadership given up (takeLeadership returned, threw, or was interrupted). */
  released: [];
  /** takeLeadership threw, or an attempt failed; the error. Emitted only while someone listens. */
  error: [Error];
}

/** Curator-style leadership that is taken, used and given up: see the module comment. */
export class LeaderSelector extends EventEmitter<LeaderSelectorEvents> {
  private readonly lock: Lock;
  private readonly autoRequeue: boolean;
  private started = false;
  private closed = false;
  private queued = false;
  private leading = false;
  private requeueAfter = false;
  private cancel = new AbortController();
  private interrupt: AbortController | undefined;
  private loop: Promise<void> | undefined;

  /** No I/O: {@link start} queues. */
  constructor(
    /** The client the selector works through; its clock times its pauses and the suspended timeout. */
    readonly client: Client,
    /** The election's node (the contenders are its children). */
    readonly path: string,
    private readonly takeLeadership: (lost: AbortSignal) => Promise<void> | void,
    options: LeaderSelectorOptions = {},
  ) {
    super();
    this.autoRequeue = options.autoRequeue ?? false;
    this.lock = options.layout === 'curator' ? new CuratorMutex(client, path, options) : new Lock(client, path, options);
  }

  /** True while takeLeadership runs. */
  get hasLeadership(): boolean {
    return this.lock.isAcquired;
  }

  /**
   * Starts contending: queues, and resolves at once (leadership comes
   * later, through takeLeadership). Rejects with InvalidStateError when
   * started or closed already.
   */
  async start(): Promise<void> {
    if (this.started || this.closed) throw new InvalidStateError(`leader selector ${this.path}: already ${this.closed ? 'closed' : 'started'}`);
    this.started = true;
    this.requeue();
  }

  /** Queues again: now, or right after the current leadership ends (no-op while waiting in the queue). */
  requeue(): boolean {
    if (!this.started || this.closed) return false;
    if (this.queued) {
      if (!this.leading) return false;
      this.requeueAfter = true;
      return true;
    }
    this.queued = true;
    this.loop = this.run();
    return true;
  }

  /** Aborts the current takeLeadership's signal (reason: a CancelledError). */
  interruptLeadership(): void {
    this.interrupt?.abort(new CancelledError(`leader selector ${this.path}: leadership interrupted`));
  }

  /**
   * Leaves the queue or gives leadership up (aborting takeLeadership's
   * signal), and resolves once takeLeadership has returned and our node is
   * gone. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.cancel.abort(new CancelledError(`leader selector ${this.path}: closed`));
    this.interrupt?.abort(new CancelledError(`leader selector ${this.path}: closed`));
    await this.loop;
  }

  /** As {@link close}: `await using selector = new LeaderSelector(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The identifiers of all contenders, the leader first. */
  participants(): Promise<string[]> {
    return this.lock.contenders();
  }

  private async run(): Promise<void> {
    try {
      do {
        try {
          await this.lock.acquire({ signal: this.cancel.signal });
        } catch (error) {
          if (this.closed) return;
          this.fail(error);
          await sleep(this.client.clock, 200, this.cancel.signal).catch(() => {});
          if (isSessionGone(this.client) && !this.closed) await this.untilConnected();
          continue;
        }
        this.leading = true;
        this.interrupt = new AbortController();
        const signal = AbortSignal.any([this.lock.lost, this.interrupt.signal]);
        this.emit('elected');
        try {
          await this.takeLeadership(signal);
        } catch (error) {
          this.fail(error);
        } finally {
          this.interrupt = undefined;
          await this.lock.release().catch(() => false);
          this.leading = false;
          this.emit('released');
        }
      } while (!this.closed && (this.autoRequeue || this.takeRequeue()));
    } finally {
      this.queued = false;
    }
  }

  private takeRequeue(): boolean {
    const again = this.requeueAfter;
    this.requeueAfter = false;
    return again;
  }

  /** Waits for a new session, or for close. */
  private async untilConnected(): Promise<void> {
    const wake = new Wakeup();
    const unsubscribe = onSessionEvents(this.client, { connected: wake.fire });
    this.cancel.signal.addEventListener('abort', wake.fire, { once: true });
    await wake.promise;
    unsubscribe();
    this.cancel.signal.removeEventListener('abort', wake.fire);
  }

  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new HerdError('UNKNOWN', String(error)));
  }
}
