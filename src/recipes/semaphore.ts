/**
 * Semaphore: at most `maxLeases` holders at a time, node for node
 * compatible with Kazoo's `Semaphore` (kazoo.recipe.lock, 2.x).
 *
 * Usage:
 * ```ts
 * const sem = new Semaphore(client, '/app/sem/pool', { maxLeases: 3, identifier: 'worker-1' });
 * if (await sem.acquire({ timeout: 10_000 })) {
 *   try { await work(sem.lost); } finally { await sem.release(); }
 * }
 * await sem.leaseHolders(); // identifiers of the current holders
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent; its data is `maxLeases` as a decimal string,
 *   written by the contender that created it. Every later contender checks
 *   its own `maxLeases` against it (a mismatch is an error).
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
 * - Timeout/abort while waiting: LockTimeoutError / the abort reason; the
 *   serializing lock is released, no lease node is left behind.
 *
 * Limits: not re-entrant. The lease count is fixed when `<path>` is
 * created; delete it to change it.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '../client/index.js';
import { NodeExistsError } from '../errors.js';
import { RecipeError } from './errors.js';
import { Lock, type AcquireOptions, type LockEvents } from './lock.js';
import {
  SessionGuard,
  Wakeup,
  decodeText,
  deleteIfExists,
  ensurePath,
  isConnectionLoss,
  isSessionGone,
  joinPath,
  retry,
  throwIfAborted,
  uuidHex,
  waitForWake,
  type HoldOptions,
  readChildTexts,
  runHeld,
} from './internal/index.js';

export interface SemaphoreOptions extends HoldOptions {
  /** Stored as the lease node's data; see {@link Semaphore.leaseHolders}. Default ''. */
  identifier?: string;
  /** How many holders at once. Default 1. */
  maxLeases?: number;
}

export class Semaphore extends EventEmitter<LockEvents> {
  readonly identifier: string;
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

  constructor(
    readonly client: Client,
    readonly path: string,
    options: SemaphoreOptions = {},
  ) {
    super();
    this.identifier = options.identifier ?? '';
    this.maxLeases = options.maxLeases ?? 1;
    if (!Number.isInteger(this.maxLeases) || this.maxLeases < 1) throw new RangeError('maxLeases must be a positive integer');
    this.suspendedTimeout = options.suspendedTimeout;
    this.leasePath = joinPath(path, uuidHex());
    this.lockPath = `${path}-__lock__`;
    this.lostController.abort(new RecipeError('not acquired'));
  }

  get isAcquired(): boolean {
    return this.held;
  }

  /** Aborted when the lease is lost or released (a new signal per acquisition). */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Takes a lease. Resolves true once held, false with `blocking: false`
   * when none is free. Rejects with LockTimeoutError, the abort reason,
   * SessionExpiredError, or RecipeError on a maxLeases mismatch.
   */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    if (this.held || this.busy) throw new RecipeError(`semaphore ${this.path} is not re-entrant`);
    this.busy = true;
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
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

  /** Acquires, runs `fn` with the `lost` signal, releases. */
  run<T>(fn: (lost: AbortSignal) => T | Promise<T>, options: AcquireOptions = {}): Promise<T> {
    return runHeld(this, fn, options);
  }

  /** Gives the lease back. Resolves false when none was held. */
  async release(): Promise<boolean> {
    const wasHeld = this.held;
    this.stopHolding(new RecipeError('released'));
    if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.leasePath);
    if (wasHeld) this.emit('released');
    return wasHeld;
  }

  /** The identifiers of the current lease holders (unordered), as Kazoo's `lease_holders()`. */
  async leaseHolders(): Promise<string[]> {
    if ((await retry(this.client, () => this.client.exists(this.path))) === null) return [];
    const children = await retry(this.client, () => this.client.getChildren(this.path));
    return readChildTexts(this.client, this.path, children);
  }

  private async checkPath(signal: AbortSignal | undefined): Promise<void> {
    if (this.checkedPath) return;
    const existed = await ensurePath(this.client, this.path, signal);
    if (existed) {
      const { data } = await retry(this.client, () => this.client.getData(this.path), signal);
      const text = decodeText(data).trim();
      if (/^-?\d+$/.test(text) && Number(text) !== this.maxLeases) {
        throw new RecipeError(`Inconsistent max leases: ${text}, expected: ${this.maxLeases}`);
      }
    } else {
      await retry(this.client, () => this.client.setData(this.path, String(this.maxLeases)), signal);
    }
    this.checkedPath = true;
  }

  private async innerAcquire(blocking: boolean, deadline: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    throwIfAborted(signal);
    await this.checkPath(signal);
    if ((await retry(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return true;
    const lock = new Lock(this.client, this.lockPath, { identifier: this.identifier });
    const timeout = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
    const gotLock = await lock.acquire({ blocking, ...(timeout === undefined ? {} : { timeout }), ...(signal ? { signal } : {}) });
    if (!gotLock) return false;
    try {
      for (;;) {
        throwIfAborted(signal);
        const wake = new Wakeup();
        const children = await retry(this.client, () => this.client.getChildren(this.path, { watch: wake.fire }), signal);
        if (children.length < this.maxLeases) await this.createLease(signal);
        if ((await retry(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return true;
        if (!blocking) return false;
        await waitForWake(this.client, wake.promise, { deadline, signal, what: `acquiring semaphore ${this.path}` });
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
        if (!isConnectionLoss(error) || isSessionGone(this.client)) throw error;
        if ((await retry(this.client, () => this.client.exists(this.leasePath), signal)) !== null) return;
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
