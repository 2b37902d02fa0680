/**
 * Election: Kazoo's leader election, a {@link Lock} whose holder is the
 * leader. Compatible with Kazoo's `Election` on the same path.
 *
 * Usage:
 * ```ts
 * const election = new Election(client, '/app/election', { identifier: 'node-a' });
 * await election.run(async (lost) => {
 *   // leader until this returns; stop at once when `lost` aborts
 * });
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
 * Limits: `cancel()` stops a contender that is waiting; it does not end a
 * running leadership function (as Kazoo).
 */
import { EventEmitter } from 'node:events';
import type { Client } from '../client/index.js';
import { CancelledError } from './errors.js';
import { Lock } from './lock.js';
import type { HoldOptions } from './internal/index.js';

export interface ElectionOptions extends HoldOptions {
  /** Our identifier, readable by everyone through {@link Election.contenders}. Default ''. */
  identifier?: string;
}

export interface ElectionEvents {
  /** This contender became leader. */
  elected: [];
  /** Leadership lost while the function was running (session expiry...). */
  lost: [Error];
}

export class Election extends EventEmitter<ElectionEvents> {
  readonly lock: Lock;
  private cancelController = new AbortController();

  constructor(
    readonly client: Client,
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
   * with `fn`'s result, or undefined when cancelled before being elected.
   */
  async run<T>(fn: (lost: AbortSignal) => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    if (typeof fn !== 'function') throw new TypeError('leader function is not callable');
    if (this.cancelController.signal.aborted) this.cancelController = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, this.cancelController.signal]) : this.cancelController.signal;
    try {
      return await this.lock.run(fn, { signal });
    } catch (error) {
      if (error instanceof CancelledError) return undefined;
      throw error;
    }
  }

  /** Stops waiting to be elected (run resolves undefined). */
  cancel(): void {
    this.cancelController.abort(new CancelledError('election cancelled'));
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
