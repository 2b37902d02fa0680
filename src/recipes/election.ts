/**
 * Election: Kazoo's leader election, a {@link Lock} whose holder is the
 * leader. Compatible with Kazoo's `Election` on the same path.
 *
 * Usage:
 * ```ts
 * const election = new Election(client, '/app/election', { identifier: 'node-a' });
 * await election.run(async (lost) => {
 *   // leader until this returns; stop at once when `lost` aborts
 * }, { timeout: 60_000 });  // TimeoutError when not elected within a minute
 * await election.leader(); // 'node-a' (anyone can read it)
 * ```
 *
 * Node layout: exactly Lock's (`<path>/<uuid hex>__lock__<seq>`, data =
 * identifier); the leader is the lowest sequence.
 *
 * Failure handling: as Lock. Connection loss during the sequential create
 * finds our node again by its uuid prefix. While leading, `lost` aborts and
 * a `lost` event fires at once on session expiry (or a connection lost past
 * the session timeout); the leadership function is not interrupted by
 * force: it must watch the signal.
 *
 * Waiting to be elected follows the wait contract: TimeoutError after
 * `timeout`, CancelledError on the `signal`'s abort, the session's end
 * (SessionExpiredError, ClientClosedError, AuthFailedError); `cancel()`
 * (Kazoo's) makes `run` resolve undefined instead.
 *
 * Limits: `cancel()` stops a contender that is waiting; it does not end a
 * running leadership function (as Kazoo).
 */
import { EventEmitter } from 'node:events';
import type { WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError, CancelledError, type SessionLostError } from '../errors.js';
import { Lock } from './lock.js';
import type { HoldOptions } from './internal/index.js';

/** Options of {@link Election}. */
export interface ElectionOptions extends HoldOptions {
  /** Our identifier, readable by everyone through {@link Election.contenders}. Default ''. */
  identifier?: string;
}

/** The events of {@link Election}. */
export interface ElectionEvents {
  /** This contender became leader. */
  elected: [];
  /** Leadership lost while the function was running (session expiry...). */
  lost: [SessionLostError];
}

/** Kazoo's leader election: see the module comment. */
export class Election extends EventEmitter<ElectionEvents> {
  /** The lock whose holder is the leader. */
  readonly lock: Lock;
  private cancelController = new AbortController();

  /** No I/O. */
  constructor(
    /** The client the election works through. */
    readonly client: Client,
    /** The election's node (the contenders are its children). */
    readonly path: string,
    options: ElectionOptions = {},
  ) {
    super();
    this.lock = new Lock(client, path, options);
    this.lock.on('acquired', () => this.emit('elected'));
    this.lock.on('lost', (reason) => this.emit('lost', reason));
  }

  /**
   * Waits to be elected, then runs `fn` (given an AbortSignal aborted when
   * leadership is lost) and gives up leadership when it settles. Resolves
   * with `fn`'s result, or undefined when {@link cancel} was called before
   * we were elected. Rejects as {@link Lock.acquire} while waiting
   * (TimeoutError, CancelledError on the signal's abort, the session's
   * end), with what `fn` threw, or with BadArgumentsError when `fn` is not
   * a function.
   */
  async run<T>(fn: (lost: AbortSignal) => T | Promise<T>, options: WaitOptions = {}): Promise<T | undefined> {
    if (typeof fn !== 'function') throw new BadArgumentsError(`election ${this.path}: the leader function is not callable`);
    if (this.cancelController.signal.aborted) this.cancelController = new AbortController();
    const cancelled = this.cancelController.signal;
    const signal = options.signal ? AbortSignal.any([options.signal, cancelled]) : cancelled;
    try {
      return await this.lock.run(fn, { timeout: options.timeout, signal });
    } catch (error) {
      if (cancelled.aborted && error === cancelled.reason) return undefined;
      throw error;
    }
  }

  /** Stops waiting to be elected (run resolves undefined). */
  cancel(): void {
    this.cancelController.abort(new CancelledError(`election ${this.path}: cancelled`));
  }

  /** The identifiers of all contenders, the leader first. */
  contenders(): Promise<string[]> {
    return this.lock.contenders();
  }

  /** The current leader's identifier, or undefined when nobody contends. */
  async leader(): Promise<string | undefined> {
    return (await this.contenders())[0];
  }
}
