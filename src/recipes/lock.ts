/**
 * Lock, ReadLock and WriteLock: fair distributed mutexes, node for node
 * compatible with Kazoo's `kazoo.recipe.lock` (2.x), so Herd and Python
 * processes contend on the same path.
 *
 * Usage:
 * ```ts
 * const lock = new Lock(client, '/app/locks/db', { identifier: 'worker-7' });
 * await lock.acquire({ timeout: 5000 });        // TimeoutError (code 'TIMEOUT') after 5 s
 * try {
 *   await work(lock.lost);                      // AbortSignal: aborted when the lock is lost
 * } finally {
 *   await lock.release();
 * }
 * // or: await lock.run(async (lost) => work(lost), { timeout: 5000 });
 * // or: { await using held = await lock.hold({ timeout: 5000 }); await work(held.lost); }
 * if (await lock.acquire({ blocking: false })) { ... }  // a try: false when taken, no wait
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent, created with its ancestors when missing.
 * - `<path>/<uuid4 hex>__lock__<seq>`: one ephemeral-sequential node per
 *   contender (`__rlock__` for a ReadLock); data = the identifier, UTF-8.
 *   The uuid prefix is fresh per Lock object.
 * - Contenders are the children matching `(__lock__|__rlock__|extra)(-?\d{10})$`,
 *   ordered by the sequence digits alone (names with other prefixes are not
 *   contenders). A Lock or WriteLock waits for every earlier `__lock__`
 *   (and for WriteLock `__rlock__`) node; a ReadLock only for earlier
 *   `__lock__` nodes, so readers share.
 * - Each contender watches its predecessor and the one before that (so a
 *   deletion wakes at most two: no herd effect). When the predecessor was
 *   the only contender ahead and is deleted, the waiter holds the lock
 *   without listing the children again (Kazoo lists again; the result is
 *   the same, one round trip later).
 *
 * Failure handling:
 * - Connection loss while creating the sequential node: the create may or
 *   may not have been applied. The lock lists the children and looks for
 *   its uuid prefix; only when it is absent does it create again. So there
 *   is never an orphaned node nor a second entry.
 * - Connection loss while waiting (suspended): requests wait for the
 *   reconnect, the predecessor's watch is restored by the client.
 * - The session ends while waiting: acquire rejects with SessionExpiredError
 *   (our node is gone with the session), ClientClosedError (the client was
 *   closed) or AuthFailedError.
 * - Timeout: TimeoutError; abort: CancelledError (cause: the signal's
 *   reason), or the reason itself when it is a HerdError.
 * - While holding: the `lost` AbortSignal aborts (reason: a SessionLostError)
 *   and a `lost` event is emitted, at once, when the session expires, the client is closed, the
 *   connection stays lost longer than the session timeout (then the node is
 *   deleted as soon as the session comes back, if it does), or our node is
 *   deleted by someone else. Check `lock.lost.aborted` before acting on the
 *   protected resource; never assume the lock survives silently.
 * - Timeout or abort while waiting: our node is deleted (best effort,
 *   retried across connection loss).
 *
 * Limits: not re-entrant (a second acquire on the same object while held
 * or acquiring rejects with InvalidStateError). A lost lock is only detected, not prevented: after
 * a partition another holder may already be in, as with any ZooKeeper lock.
 */
import { EventEmitter } from 'node:events';
import { joinPath } from '../base/path.js';
import { Deadline, throwIfAborted, type WaitOptions } from '../base/wait.js';
import type { Client, WatchListener } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { CancelledError, InvalidStateError, NoNodeError, SessionLostError } from '../errors.js';
import {
  SessionGuard,
  Wakeup,
  checkWaitOptions,
  deleteIfExists,
  ensurePath,
  holdOf,
  isSessionGone,
  readChildTexts,
  retryWhileConnected,
  runHeld,
  sessionEndedError,
  uuidHex,
  waitForWake,
  type AcquireOptions,
  type Held,
  type HoldOptions,
} from './internal/index.js';

export type { AcquireOptions, Held, HoldOptions };

/** Kazoo's node name of an exclusive (write) contender. */
export const LOCK_NODE_NAME = '__lock__';
/** Kazoo's node name of a shared (read) contender. */
export const READ_LOCK_NODE_NAME = '__rlock__';

/** Options of {@link Lock}, {@link ReadLock} and {@link WriteLock}. */
export interface LockOptions extends HoldOptions {
  /** Stored as the contender node's data; see {@link Lock.contenders}. Default ''. */
  identifier?: string;
  /** More node-name patterns (regex source) that count as contenders, as Kazoo's `extra_lock_patterns`. */
  extraLockPatterns?: readonly string[];
}

/** The events of {@link Lock}, {@link ReadLock} and {@link WriteLock}. */
export interface LockEvents {
  /** The lock is held. */
  acquired: [];
  /** The lock was released by {@link Lock.release}. */
  released: [];
  /** The lock was lost while held; the reason is also `lost.reason`. */
  lost: [SessionLostError];
}

/** Parsed contender: its node name and its sequence digits (the sort key). */
interface Contender {
  name: string;
  seq: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The contender regex of Kazoo: `(?:a|b)(-?\d{10})$`. */
export function contenderPattern(names: readonly string[], extra: readonly string[] = []): RegExp {
  return new RegExp(`(?:${[...names.map(escapeRegex), ...extra].join('|')})(-?\\d{10})$`);
}

/** Matching children sorted by their sequence digits, as Kazoo (string order). */
export function sortContenders(children: readonly string[], pattern: RegExp): Contender[] {
  const out: Contender[] = [];
  for (const name of children) {
    const m = pattern.exec(name);
    if (m) out.push({ name, seq: m[1]! });
  }
  return out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
}

/**
 * An exclusive, fair lock (Kazoo's `Lock`). Ignores `__rlock__` nodes
 * (as Kazoo's Lock does): use {@link WriteLock} with {@link ReadLock}.
 */
export class Lock extends EventEmitter<LockEvents> {
  /** This contender's node name before the sequence (`__lock__` or `__rlock__`). */
  protected readonly nodeName: string = LOCK_NODE_NAME;
  /** The node names that this contender must wait for. */
  protected readonly excludeNames: readonly string[] = [LOCK_NODE_NAME];

  /** The lock's node (the contenders are its children). */
  readonly path: string;
  /** This contender's identifier, stored in its node. */
  readonly identifier: string;
  private readonly extraPatterns: readonly string[];
  private readonly suspendedTimeout: number | undefined;
  private node: string | undefined;
  private held = false;
  private busy = false;
  private lostController = new AbortController();
  private guard: SessionGuard | undefined;
  private nodeWatch: ((e: { type: string }) => void) | undefined;
  private pathKnown = false;

  /** No I/O: the lock's path is created by the first acquire. */
  constructor(
    /** The client the lock works through; its clock times waits and the suspended timeout. */
    readonly client: Client,
    path: string,
    options: LockOptions = {},
  ) {
    super();
    this.path = path;
    this.identifier = options.identifier ?? '';
    this.extraPatterns = options.extraLockPatterns ?? [];
    this.suspendedTimeout = options.suspendedTimeout;
    this.lostController.abort(new CancelledError(`lock ${path}: not acquired`));
  }

  /**
   * The unique start of our node's name: `<uuid hex><node name>`. A fresh
   * uuid per Lock object: after a connection loss during the create, our
   * node is recognised among the children by it. (Lazy: subclasses set
   * nodeName in field initializers, which run after this constructor.)
   */
  get prefix(): string {
    if (this.uniquePrefix === undefined) this.uniquePrefix = uuidHex() + this.nodeName;
    return this.uniquePrefix;
  }
  private uniquePrefix: string | undefined;

  /** True while the lock is held and not known to be lost. */
  get isAcquired(): boolean {
    return this.held;
  }

  /** Our contender node's name (child of `path`), while acquiring or holding. */
  get nodeNameInPath(): string | undefined {
    return this.node;
  }

  /**
   * Aborted when the lock is lost (or released). A new signal per
   * acquisition; before the first acquire it is already aborted.
   */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Acquires the lock. Resolves true once held; false only with
   * `blocking: false` (a try) when another contender is ahead. Rejects with
   * TimeoutError after `timeout` ms, CancelledError (or the signal's
   * HerdError reason) on abort, SessionExpiredError / ClientClosedError /
   * AuthFailedError when the session ends while waiting, InvalidStateError
   * when this object holds or is acquiring already, BadArgumentsError for a
   * bad timeout. A failed or abandoned wait deletes its contender node.
   */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    checkWaitOptions(options, `lock ${this.path}`);
    if (this.held || this.busy) throw new InvalidStateError(`lock ${this.path} is not re-entrant: already ${this.held ? 'held' : 'being acquired'}`);
    this.busy = true;
    const deadline = new Deadline(this.client.clock, options.timeout);
    try {
      const got = await this.innerAcquire(options.blocking ?? true, deadline, options.signal);
      if (got) this.onAcquired();
      else await this.cleanup();
      return got;
    } catch (error) {
      await this.cleanup();
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Acquires (waiting, as {@link acquire}), runs `fn` with the `lost`
   * signal, and releases (also when `fn` throws). Rejects as acquire, or
   * with what `fn` threw.
   */
  run<T>(fn: (lost: AbortSignal) => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
    return runHeld(this, fn, options);
  }

  /**
   * For `await using held = await lock.hold({ timeout })`: acquires
   * (waiting, as {@link acquire}), and releases when disposed.
   */
  hold(options: WaitOptions = {}): Promise<Held> {
    return holdOf(this, options);
  }

  /** Releases the lock (deletes our node). Resolves false when it was not held. */
  async release(): Promise<boolean> {
    const wasHeld = this.held;
    this.stopHolding(new CancelledError(`lock ${this.path}: released`));
    await this.cleanup();
    if (wasHeld) this.emit('released');
    return wasHeld;
  }

  /**
   * The identifiers of every contender (readers and writers), the holder
   * first, as Kazoo's `contenders()`.
   */
  async contenders(): Promise<string[]> {
    await ensurePath(this.client, this.path);
    const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path));
    const all = contenderPattern([...new Set([...this.excludeNames, this.nodeName])], this.extraPatterns);
    const names = sortContenders(children, all).map((c) => c.name);
    return readChildTexts(this.client, this.path, names, { skipNull: true });
  }

  // ---- acquiring ----------------------------------------------------------------

  private async innerAcquire(blocking: boolean, deadline: Deadline, signal: AbortSignal | undefined): Promise<boolean> {
    throwIfAborted(signal);
    // Once per Lock object, as Kazoo: a parent deleted later is recreated by createContender.
    if (!this.pathKnown) await ensurePath(this.client, this.path, signal);
    this.pathKnown = true;
    this.node = await this.createContender(signal);
    const pattern = contenderPattern(this.excludeNames, this.extraPatterns);
    for (;;) {
      throwIfAborted(signal);
      const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path), signal);
      if (!children.includes(this.node)) {
        // Our ephemeral vanished (a new session after expiry, or deleted by
        // someone): we are not in the queue any more. Join it again.
        if (isSessionGone(this.client)) throw sessionEndedError(this.client, `acquiring lock ${this.path}`);
        this.node = await this.createContender(signal, true);
        continue;
      }
      const ahead = this.contendersAhead(children, pattern);
      if (ahead.length === 0) return true;
      if (!blocking) return false;
      // Watch the predecessor, and the one before it: when that one goes
      // (usually the holder releasing), we list again while the predecessor
      // holds, and so are second in line, on the fast path below, when it
      // releases. Each deletion still wakes at most two waiters.
      const watched = ahead.slice(-2).map((name) => joinPath(this.path, name));
      const predPath = watched[watched.length - 1]!;
      const wake = new Wakeup();
      let deleted = false;
      const listeners = watched.map((path): WatchListener => (event) => {
        if (path === predPath && event.type === 'nodeDeleted') deleted = true;
        wake.fire();
      });
      const dropAll = (): void => watched.forEach((path, i) => this.dropWatch(path, listeners[i]!));
      try {
        const stats = await Promise.all(
          watched.map((path, i) => retryWhileConnected(this.client, () => this.client.exists(path, { watch: listeners[i]! }), signal)),
        );
        if (stats.some((stat) => stat === null)) continue;
        await waitForWake(this.client, wake, { deadline, signal, what: `lock ${this.path}` });
      } finally {
        dropAll();
      }
      // The handoff's fast path: no second listing when the one contender
      // ahead of us is gone. Sequence numbers grow with every create under
      // the path, so each contender numbered below us was created before us
      // and is in `children` (listed after our create) unless it is gone
      // already; with the last of them deleted, we are first. This saves a
      // round trip on every handoff; Kazoo's waiters list again, but the
      // nodes and the order are the same, so both contend as before. (Our
      // own node deleted meanwhile by someone else is caught right after:
      // watchOwnNode finds it gone and signals `lost`.)
      if (deleted && ahead.length === 1) return true;
    }
  }

  /** The contenders we wait for that are before us in sequence order, in that order. */
  private contendersAhead(children: readonly string[], pattern: RegExp): string[] {
    const own = this.ownSeq(pattern);
    const ahead: string[] = [];
    for (const c of sortContenders(children, pattern)) {
      if (c.name === this.node || c.seq >= own) break;
      ahead.push(c.name);
    }
    return ahead;
  }

  /**
   * Our sequence, read with the contenders' pattern when our own node is one
   * of them, so a node name ending in '-' is read alike for all; a read
   * lock's own `__rlock__` node is not in its pattern (readers do not wait
   * for readers), so it falls back to the trailing digits.
   */
  private ownSeq(pattern: RegExp): string {
    const node = this.node ?? '';
    return (pattern.exec(node) ?? /(-?\d{10})$/.exec(node))?.[1] ?? '';
  }

  private dropWatch(path: string, listener: WatchListener): void {
    this.client.removeWatches(path, 'data', { listener, local: true }).catch(() => {});
  }

  /**
   * Creates our ephemeral-sequential node, or finds it again. After a
   * connection loss the create may have been applied without us seeing the
   * reply, so before any retry we look for a child with our unique prefix.
   */
  private async createContender(signal: AbortSignal | undefined, mayExist = false): Promise<string> {
    let lookFirst = mayExist;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      if (lookFirst) {
        const found = await this.findOwnNode(signal);
        if (found !== undefined) return found;
      }
      lookFirst = true;
      try {
        const created = await this.client.create(joinPath(this.path, this.prefix), this.identifier, { mode: 'ephemeralSequential' });
        return created.slice(created.lastIndexOf('/') + 1);
      } catch (error) {
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.path, signal);
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  private async findOwnNode(signal?: AbortSignal): Promise<string | undefined> {
    try {
      const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path), signal);
      return children.find((c) => c.startsWith(this.prefix));
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
  }

  /** Deletes our node if we have (or may have) one: after a failed or cancelled acquire, and on release. */
  private async cleanup(): Promise<void> {
    const node = this.node ?? (isSessionGone(this.client) ? undefined : await this.findOwnNode().catch(() => undefined));
    this.node = undefined;
    if (node === undefined || isSessionGone(this.client)) return;
    try {
      await deleteIfExists(this.client, joinPath(this.path, node));
    } catch {
      // Best effort: with the session gone the ephemeral is gone too.
    }
  }

  // ---- holding ------------------------------------------------------------------

  private onAcquired(): void {
    this.held = true;
    this.lostController = new AbortController();
    this.guard = new SessionGuard(this.client, (reason) => this.markLost(reason), this.suspendedTimeout);
    this.guard.start();
    this.watchOwnNode();
    this.emit('acquired');
  }

  /** Someone deleting our node (an operator, a buggy peer) also loses the lock. */
  private watchOwnNode(): void {
    const node = this.node;
    if (node === undefined) return;
    const path = joinPath(this.path, node);
    const listener = (event: { type: string }): void => {
      if (this.nodeWatch !== listener || !this.held) return;
      if (event.type === 'nodeDeleted') this.markLost(new SessionLostError(`lock node ${path} was deleted`));
      else this.watchOwnNode();
    };
    this.nodeWatch = listener;
    retryWhileConnected(this.client, () => this.client.exists(path, { watch: listener })).then(
      (stat) => {
        if (stat === null && this.nodeWatch === listener) this.markLost(new SessionLostError(`lock node ${path} is gone`));
      },
      () => {},
    );
  }

  private markLost(reason: SessionLostError): void {
    if (!this.held) return;
    const node = this.node;
    this.stopHolding(reason);
    this.emit('lost', reason);
    // If the session comes back after all (we gave up on it), free the lock for the others.
    if (node !== undefined && !isSessionGone(this.client)) {
      this.node = undefined;
      deleteIfExists(this.client, joinPath(this.path, node)).catch(() => {});
    }
  }

  private stopHolding(reason: Error): void {
    const wasHeld = this.held;
    this.held = false;
    this.guard?.stop();
    this.guard = undefined;
    this.nodeWatch = undefined;
    if (wasHeld) this.lostController.abort(reason);
  }
}

/**
 * The exclusive side of a read/write lock (Kazoo's `WriteLock`): waits for
 * every earlier reader and writer.
 */
export class WriteLock extends Lock {
  protected override readonly nodeName: string = LOCK_NODE_NAME;
  protected override readonly excludeNames: readonly string[] = [LOCK_NODE_NAME, READ_LOCK_NODE_NAME];
}

/**
 * The shared side of a read/write lock (Kazoo's `ReadLock`): waits only for
 * earlier writers, so readers hold it together.
 */
export class ReadLock extends Lock {
  protected override readonly nodeName: string = READ_LOCK_NODE_NAME;
  protected override readonly excludeNames: readonly string[] = [LOCK_NODE_NAME];
}
