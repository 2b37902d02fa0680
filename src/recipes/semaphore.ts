/**
 * Semaphore: at most `maxLeases` holders at a time, node for node
 * compatible with Kazoo's `Semaphore` (kazoo.recipe.lock, 2.x).
 *
 * Usage:
 * ```ts
 * const sem = new Semaphore(client, '/app/sem/pool', { maxLeases: 3, identifier: 'worker-1' });
 * await sem.acquire({ timeout: 10_000 });     // TimeoutError (code 'TIMEOUT') after 10 s
 * try { await work(sem.lost); } finally { await sem.release(); }
 * if (await sem.acquire({ blocking: false })) { ... }  // a try: false when no lease is free
 * await sem.run((lost) => work(lost), { timeout: 10_000 });
 * await sem.leaseHolders(); // identifiers of the current holders
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent; its data is `maxLeases` as a decimal string,
 *   written by the contender that created it. Every later contender checks
 *   its own `maxLeases` against it (a mismatch is an UnexpectedDataError).
 * - `<path>/<uuid4 hex>`: one ephemeral node per lease holder; data = the
 *   identifier, UTF-8.
 * - `<path>-__lock__`: a {@link Lock} path (Kazoo's layout) that serializes
 *   the count-then-create of leases, so two contenders cannot both take the
 *   last lease.
 *
 * Failure handling:
 * - Connection loss while creating the lease node: its name is unique (not
 *   sequential), so the recipe checks whether it exists and creates it only
 *   when it does not: never two leases for one holder.
 * - While holding: `lost` (AbortSignal) aborts and the `lost` event fires at
 *   once on session expiry, close, or a connection lost past the session
 *   timeout (the lease node is then deleted if the session comes back).
 * - Timeout/abort while waiting: TimeoutError / CancelledError; the
 *   serializing lock is released, no lease node is left behind. The session
 *   ending while waiting: SessionExpiredError, ClientClosedError or
 *   AuthFailedError.
 *
 * Limits: not re-entrant (InvalidStateError). The lease count is fixed when `<path>` is
 * created; delete it to change it.
 */
import { EventEmitter } from 'node:events';
import { joinPath, parentPath } from '../base/path.js';
import { Deadline, throwIfAborted, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadArgumentsError, CancelledError, InvalidStateError, NodeExistsError, SessionLostError } from '../errors.js';
import { UnexpectedDataError } from './errors.js';
import { Lock } from './lock.js';
import {
  SessionGuard,
  Wakeup,
  checkWaitOptions,
  decodeText,
  deleteIfExists,
  ensurePath,
  holdOf,
  isSessionGone,
  readChildTexts,
  retryWhileConnected,
  runHeld,
  uuidHex,
  waitForWake,
  type AcquireOptions,
  type Held,
  type HoldOptions,
} from './internal/index.js';

/** Options of {@link Semaphore}. */
export interface SemaphoreOptions extends HoldOptions {
  /** Stored as the lease node's data; see {@link Semaphore.leaseHolders}. Default ''. */
  identifier?: string;
  /** How many holders at once. Default 1. */
  maxLeases?: number;
}

/** The events of {@link Semaphore}. */
export interface SemaphoreEvents {
  /** A lease is held. */
  acquired: [];
  /** The lease was given back by {@link Semaphore.release}. */
  released: [];
  /** The lease was lost while held; the reason is also `lost.reason`. */
  lost: [SessionLostError];
}

/** At most `maxLeases` holders at a time (Kazoo's `Semaphore`); see the module comment. */
export class Semaphore extends EventEmitter<SemaphoreEvents> {
  /** This holder's identifier, stored in its lease node. */
  readonly identifier: string;
  /** How many holders at once. */
  readonly maxLeases: number;
  /** Our lease node: `<path>/<uuid hex>`. */
  readonly leasePath: string;
  /** Kazoo's serializing lock path: `<path>-__lock__`. */
  readonly lockPath: string;
  private readonly suspendedTimeout: number | undefined;
  private checkedPath = false;
  private held = false;
  private busy = false;
  private lostController = new AbortController();
  private guard: SessionGuard | undefined;

  /** No I/O. Throws BadArgumentsError when `maxLeases` is not a positive integer. */
  constructor(
    /** The client the semaphore works through; its clock times waits and the suspended timeout. */
    readonly client: Client,
    /** The semaphore's node (the leases are its children). */
    readonly path: string,
    options: SemaphoreOptions = {},
  ) {
    super();
    this.identifier = options.identifier ?? '';
    this.maxLeases = options.maxLeases ?? 1;
    if (!Number.isInteger(this.maxLeases) || this.maxLeases < 1) throw new BadArgumentsError(`semaphore ${path}: maxLeases must be a positive integer`);
    this.suspendedTimeout = options.suspendedTimeout;
    this.leasePath = joinPath(path, uuidHex());
    this.lockPath = `${path}-__lock__`;
    this.lostController.abort(new CancelledError(`semaphore ${path}: not acquired`));
  }

  /** True while a lease is held and not known to be lost. */
  get isAcquired(): boolean {
    return this.held;
  }

  /** Aborted when the lease is lost or released (a new signal per acquisition). */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Takes a lease. Resolves true once held, false with `blocking: false`
   * (a try) when none is free. Rejects with TimeoutError after `timeout`
   * ms, CancelledError (or the signal's HerdError reason) on abort,
   * SessionExpiredError / ClientClosedError / AuthFailedError when the
   * session ends while waiting, InvalidStateError when this object holds or
   * is acquiring already, UnexpectedDataError on a maxLeases mismatch.
   */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    checkWaitOptions(options, `semaphore ${this.path}`);
    if (this.held || this.busy) throw new InvalidStateError(`semaphore ${this.path} is not re-entrant`);
    this.busy = true;
    const deadline = new Deadline(this.client.clock, options.timeout);
    const blocking = options.blocking ?? true;
    const signal = options.signal;
    try {
      const got = await this.innerAcquire(blocking, deadline, signal);
      if (got) this.onAcquired();
      return got;
    } catch (error) {
      if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.leasePath).catch(() => {});
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /** Acquires (waiting, as {@link acquire}), runs `fn` with the `lost` signal, releases (also when `fn` throws). */
  run<T>(fn: (lost: AbortSignal) => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
    return runHeld(this, fn, options);
  }

  /** For `await using held = await sem.hold({ timeout })`: acquires (waiting), and releases when disposed. */
  hold(options: WaitOptions = {}): Promise<Held> {
    return holdOf(this, options);
  }

  /** Gives the lease back. Resolves false when none was held. */
  async release(): Promise<boolean> {
    const wasHeld = this.held;
    this.stopHolding(new CancelledError(`semaphore ${this.path}: released`));
    if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.leasePath);
    if (wasHeld) this.emit('released');
    return wasHeld;
  }

  /** The identifiers of the current lease holders (unordered), as Kazoo's `lease_holders()`. */
  async leaseHolders(): Promise<string[]> {
    if ((await retryWhileConnected(this.client, () => this.client.exists(this.path))) === null) return [];
    const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path));
    return readChildTexts(this.client, this.path, children);
  }

  /**
   * Creates `<path>` holding our max leases, or checks the count of the one
   * there (Kazoo writes it after an empty create; ours is created with it,
   * so no one reads it empty).
   */
  private async checkPath(signal: AbortSignal | undefined): Promise<void> {
    if (this.checkedPath) return;
    let existed = (await retryWhileConnected(this.client, () => this.client.exists(this.path), signal)) !== null;
    if (!existed) {
      await ensurePath(this.client, parentPath(this.path), signal);
      try {
        // A create retried after a connection loss may find its own node: the data is ours then too.
        await retryWhileConnected(this.client, () => this.client.create(this.path, String(this.maxLeases)), signal);
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
        existed = true;
      }
    }
    if (existed) {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(this.path), signal);
      const text = decodeText(data).trim();
      if (/^-?\d+$/.test(text) && Number(text) !== this.maxLeases) {
        throw new UnexpectedDataError(`semaphore ${this.path}: inconsistent max leases: ${text}, expected: ${this.maxLeases}`, { path: this.path });
      }
    }
    this.checkedPath = true;
  }

  private async innerAcquire(blocking: boolean, deadline: Deadline, signal: AbortSignal | undefined): Promise<boolean> {
    throwIfAborted(signal);
    await this.checkPath(signal);
    if ((await retryWhileConnected(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return true;
    const lock = new Lock(this.client, this.lockPath, { identifier: this.identifier });
    const gotLock = await lock.acquire({ blocking, timeout: deadline.remaining(), signal });
    if (!gotLock) return false;
    try {
      for (;;) {
        throwIfAborted(signal);
        const wake = new Wakeup();
        const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path, { watch: wake.fire }), signal);
        if (children.length < this.maxLeases) await this.createLease(signal);
        if ((await retryWhileConnected(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return true;
        if (!blocking) return false;
        await waitForWake(this.client, wake, { deadline, signal, what: `semaphore ${this.path}` });
      }
    } finally {
      await lock.release().catch(() => false);
    }
  }

  /** Creates our lease node; after a connection loss, checks whether the lost create was applied. */
  private async createLease(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      try {
        await this.client.create(this.leasePath, this.identifier, { mode: 'ephemeral' });
        return;
      } catch (error) {
        if (error instanceof NodeExistsError) return;
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
        if ((await retryWhileConnected(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return;
      }
    }
  }

  private onAcquired(): void {
    this.held = true;
    this.lostController = new AbortController();
    this.guard = new SessionGuard(
      this.client,
      (reason) => {
        if (!this.held) return;
        this.stopHolding(reason);
        this.emit('lost', reason);
        if (!isSessionGone(this.client)) deleteIfExists(this.client, this.leasePath).catch(() => {});
      },
      this.suspendedTimeout,
    );
    this.guard.start();
    this.emit('acquired');
  }

  private stopHolding(reason: Error): void {
    const wasHeld = this.held;
    this.held = false;
    this.guard?.stop();
    this.guard = undefined;
    if (wasHeld) this.lostController.abort(reason);
  }
}
