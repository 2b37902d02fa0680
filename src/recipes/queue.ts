/**
 * Queue and LockingQueue: distributed FIFO queues with priorities, node for
 * node compatible with Kazoo's `kazoo.recipe.queue`.
 *
 * Usage:
 * ```ts
 * const q = new Queue(client, '/app/jobs');
 * await q.put('job-1');                  // priority 100
 * await q.put('urgent', { priority: 1 });  // lower = sooner
 * await q.get();                         // Buffer 'urgent', or null when empty (no wait)
 *
 * const lq = new LockingQueue(client, '/app/tasks');
 * await lq.put('task');
 * const item = await lq.get({ timeout: 5000 }); // waits; locked for us, not removed; TimeoutError after 5 s
 * await process(item);
 * await lq.consume();                    // removes it; or lq.release() to give it back
 * ```
 *
 * Node layout (as Kazoo):
 * - Queue: `<path>/entry-<ppp>-<seq>` persistent-sequential, data = the
 *   item; `ppp` = priority as 3 digits (0..999, default 100). Consumers take
 *   the smallest name: priority first, then arrival.
 * - LockingQueue: `<path>/entries/entry-<ppp>-<seq>` persistent-sequential
 *   items; `<path>/taken/<entry name>` ephemeral, data = the consumer's
 *   identifier (32 hex digits, ASCII), while a consumer works on it. `consume` deletes
 *   both in one transaction; a crashed consumer's `taken` node vanishes with
 *   its session, so the item is taken again.
 *
 * Failure handling:
 * - Queue.get: the delete decides who got an item; NoNode (another consumer
 *   was first) moves on to the next. A connection loss during the delete is
 *   resolved by re-reading: an item found gone is taken as ours (see Limits).
 * - LockingQueue.get: the `taken` node has a fixed name; a create lost to a
 *   connection loss is resolved by reading its data (our identifier = ours).
 *   Its wait follows the wait contract: TimeoutError, CancelledError, the
 *   session's end (SessionExpiredError, ClientClosedError, AuthFailedError).
 * - put: an item name is sequential with no unique part (Kazoo's layout), so
 *   a put whose reply is lost cannot be found again: put rejects with the
 *   ConnectionLossError and the item may or may not be queued (at most
 *   once is the caller's choice: retry or not).
 *
 * Limits: Queue consumption is not reliable (an item is removed before it
 * is processed; use LockingQueue). After a connection loss during
 * Queue.get's delete, the item is reported as ours only if we see it gone
 * with no error; this can hand one item to two consumers in that rare case.
 */
import { joinPath } from '../base/path.js';
import { Deadline, throwIfAborted, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { op } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadArgumentsError, NoNodeError, NodeExistsError } from '../errors.js';
import { Wakeup, checkWaitOptions, ensurePath, isSessionGone, retryWhileConnected, uuidHex, waitForWake } from './internal/index.js';

/** Options of `put` and `putAll`. */
export interface PutOptions {
  /** 0..999, lower is sooner. Default 100. */
  priority?: number;
}

function priorityText(priority: number | undefined): string {
  const p = priority ?? 100;
  if (!Number.isInteger(p) || p < 0 || p > 999) throw new BadArgumentsError(`priority must be an integer between 0 and 999 (got ${String(p)})`);
  return String(p).padStart(3, '0');
}

function itemData(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new BadArgumentsError('a queue item must be bytes or a string');
}

/** Kazoo's Queue: FIFO per priority, items removed when taken. */
export class Queue {
  /** Kazoo's item name prefix. */
  static readonly prefix = 'entry-';
  private ensured = false;
  private cache: string[] = [];

  /** No I/O. */
  constructor(
    /** The client the queue works through. */
    readonly client: Client,
    /** The queue's node (the items are its children). */
    readonly path: string,
  ) {}

  private async ensure(): Promise<void> {
    if (this.ensured) return;
    await ensurePath(this.client, this.path);
    this.ensured = true;
  }

  /** Number of items (the node's child count). */
  async size(): Promise<number> {
    await this.ensure();
    const { stat } = await retryWhileConnected(this.client, () => this.client.getData(this.path));
    return stat.numChildren;
  }

  /** Adds an item; resolves with its node path. Rejects with BadArgumentsError for a bad priority or item. */
  async put(value: Uint8Array | string, options: PutOptions = {}): Promise<string> {
    const data = itemData(value);
    const prio = priorityText(options.priority);
    await this.ensure();
    return this.client.create(joinPath(this.path, `${Queue.prefix}${prio}-`), data, { mode: 'persistentSequential' });
  }

  /** Takes the next item, or null when the queue is empty: a try, it does not wait (Kazoo's `get`). */
  async get(): Promise<Buffer | null> {
    await this.ensure();
    for (;;) {
      if (this.cache.length === 0) {
        this.cache = (await retryWhileConnected(this.client, () => this.client.getChildren(this.path))).sort();
        if (this.cache.length === 0) return null;
      }
      const name = this.cache.shift()!;
      const path = joinPath(this.path, name);
      let data: Buffer | null;
      try {
        data = (await retryWhileConnected(this.client, () => this.client.getData(path))).data;
      } catch (error) {
        if (error instanceof NoNodeError) continue;
        throw error;
      }
      try {
        await this.client.delete(path);
        return data ?? Buffer.alloc(0);
      } catch (error) {
        if (error instanceof NoNodeError) continue;
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
        // Unknown outcome: see Limits.
        if ((await retryWhileConnected(this.client, () => this.client.exists(path))) === null) return data ?? Buffer.alloc(0);
        this.cache.unshift(name);
      }
    }
  }
}

/** LockingQueue's children (Kazoo's names): `<path>/entries` holds the items, `<path>/taken` the locks of the items being worked on. */
export const LOCKING_QUEUE_ENTRIES = 'entries';
export const LOCKING_QUEUE_TAKEN = 'taken';

/** Kazoo's LockingQueue: an item stays queued, locked by its consumer, until consumed. */
export class LockingQueue {
  /**
   * This consumer's identifier, stored in its `taken` nodes: 32 hex digits,
   * fresh per object (Kazoo's `id`), since ownership of an item is decided
   * by it.
   */
  readonly identifier = uuidHex();
  /** `<path>/entries`: the items. */
  readonly entriesPath: string;
  /** `<path>/taken`: the locks of the items being worked on. */
  readonly takenPath: string;
  private ensured = false;
  private processing: { name: string; data: Buffer } | undefined;

  /** No I/O. */
  constructor(
    /** The client the queue works through; its clock times waits. */
    readonly client: Client,
    /** The queue's node. */
    readonly path: string,
  ) {
    this.entriesPath = joinPath(path, LOCKING_QUEUE_ENTRIES);
    this.takenPath = joinPath(path, LOCKING_QUEUE_TAKEN);
  }

  private async ensure(): Promise<void> {
    if (this.ensured) return;
    await ensurePath(this.client, this.takenPath);
    await ensurePath(this.client, this.entriesPath);
    this.ensured = true;
  }

  /** Number of items (taken ones included). */
  async size(): Promise<number> {
    await this.ensure();
    const { stat } = await retryWhileConnected(this.client, () => this.client.getData(this.entriesPath));
    return stat.numChildren;
  }

  /** Adds an item; resolves with its node path. Rejects with BadArgumentsError for a bad priority or item. */
  async put(value: Uint8Array | string, options: PutOptions = {}): Promise<string> {
    const data = itemData(value);
    const prio = priorityText(options.priority);
    await this.ensure();
    return this.client.create(joinPath(this.entriesPath, `entry-${prio}-`), data, { mode: 'persistentSequential' });
  }

  /** Adds several items atomically (all or none). */
  async putAll(values: readonly (Uint8Array | string)[], options: PutOptions = {}): Promise<void> {
    const prio = priorityText(options.priority);
    const ops = values.map((v) => op.create(joinPath(this.entriesPath, `entry-${prio}-`), itemData(v), { mode: 'persistentSequential' }));
    await this.ensure();
    await this.client.multi(ops);
  }

  /**
   * Locks and returns the next free item, waiting for one; the one got
   * before when it was not consumed or released yet. Rejects with
   * TimeoutError after `timeout` ms, CancelledError (or the signal's
   * HerdError reason) on abort, SessionExpiredError / ClientClosedError /
   * AuthFailedError when the session ends while waiting.
   */
  async get(options: WaitOptions = {}): Promise<Buffer> {
    const what = `locking queue ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    await this.ensure();
    if (this.processing) return this.processing.data;
    for (;;) {
      throwIfAborted(options.signal, what);
      const wake = new Wakeup();
      const entries = await retryWhileConnected(this.client, () => this.client.getChildren(this.entriesPath, { watch: wake.fire }), options.signal);
      const taken = new Set(await retryWhileConnected(this.client, () => this.client.getChildren(this.takenPath, { watch: wake.fire }), options.signal));
      for (const name of entries.sort()) {
        if (taken.has(name)) continue;
        const got = await this.take(name);
        if (got !== undefined) {
          this.processing = { name, data: got };
          return got;
        }
      }
      await waitForWake(this.client, wake, { deadline, signal: options.signal, what });
    }
  }

  /** True while our lock on the current item still exists. */
  async holdsLock(): Promise<boolean> {
    if (!this.processing) return false;
    try {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(joinPath(this.takenPath, this.processing!.name)));
      return data !== null && data.toString('ascii') === this.identifier;
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  /** Removes the current item for good. Resolves false when we do not hold it (any more). */
  async consume(): Promise<boolean> {
    if (!this.processing || !(await this.holdsLock())) return false;
    const { name } = this.processing;
    await this.client.multi([op.delete(joinPath(this.entriesPath, name)), op.delete(joinPath(this.takenPath, name))]);
    this.processing = undefined;
    return true;
  }

  /** Unlocks the current item so another consumer can take it. */
  async release(): Promise<boolean> {
    if (!this.processing || !(await this.holdsLock())) return false;
    await this.client.multi([op.delete(joinPath(this.takenPath, this.processing.name))]);
    this.processing = undefined;
    return true;
  }

  /** Locks one item; undefined when someone else has it or it is gone. */
  private async take(name: string): Promise<Buffer | undefined> {
    const lockPath = joinPath(this.takenPath, name);
    for (;;) {
      try {
        await this.client.create(lockPath, this.identifier, { mode: 'ephemeral' });
        break;
      } catch (error) {
        if (error instanceof NodeExistsError) {
          if (await this.lockedByUs(lockPath)) break;
          return undefined;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
        if (await this.lockedByUs(lockPath)) break;
      }
    }
    try {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(joinPath(this.entriesPath, name)));
      return data ?? Buffer.alloc(0);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      await retryWhileConnected(this.client, () => this.client.delete(lockPath)).catch(() => {});
      return undefined;
    }
  }

  private async lockedByUs(lockPath: string): Promise<boolean> {
    try {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(lockPath));
      return data !== null && data.toString('ascii') === this.identifier;
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }
}
