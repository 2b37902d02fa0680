/**
 * Barrier and DoubleBarrier, node for node compatible with Kazoo's
 * `kazoo.recipe.barrier`.
 *
 * Usage:
 * ```ts
 * const gate = new Barrier(client, '/app/gate');
 * await gate.create();                     // closed while the node exists
 * await gate.wait({ timeout: 5000 });      // resolves once removed; TimeoutError after 5 s
 * await gate.remove();                     // opens it
 *
 * const phase = new DoubleBarrier(client, '/app/phase', 3, { identifier: 'w1' });
 * await phase.enter({ timeout: 30_000 });  // blocks until 3 members entered
 * // ... work ...
 * await phase.leave({ timeout: 30_000 });  // blocks until all left
 * ```

 *
 * Node layout (as Kazoo):
 * - Barrier: `<path>` persistent; the barrier is up while it exists.
 * - DoubleBarrier: `<path>` persistent; `<path>/<uuid4 hex>` ephemeral per
 *   member, data = identifier (default `<hostname>-<pid>`); `<path>/ready`
 *   persistent, created by the member that sees `numClients` children
 *   (counting every child, as Kazoo) and deleted by the first to leave.
 *
 * Failure handling:
 * - Member nodes have unique, non-sequential names: a create lost to a
 *   connection loss is retried and NodeExists means it was applied.
 * - Every wait follows the wait contract: TimeoutError after `timeout`,
 *   CancelledError on abort, and SessionExpiredError / ClientClosedError /
 *   AuthFailedError when the session ends (our member node is gone: the
 *   barrier cannot be trusted). Waits survive connection loss (the client
 *   restores the watches); `enter` deletes our node when it fails, times
 *   out or is cancelled.
 *
 * Limits: a member whose session expires between enter and leave
 * disappears from the count; the others may then leave early (as Kazoo).
 */
import { joinPath } from '../base/path.js';
import { Deadline, throwIfAborted, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadArgumentsError, NoNodeError, NodeExistsError } from '../errors.js';
import {
  Wakeup,
  checkWaitOptions,
  defaultIdentifier,
  deleteIfExists,
  ensurePath,
  isSessionGone,
  retryWhileConnected,
  uuidHex,
  waitForWake,
} from './internal/index.js';

/** A barrier (Kazoo's `Barrier`): up while its node exists; waiters pass once it is removed. */
export class Barrier {
  /** No I/O. */
  constructor(
    /** The client the barrier works through; its clock times waits. */
    readonly client: Client,
    /** The barrier's node. */
    readonly path: string,
  ) {}

  /** Puts the barrier up (idempotent): creates its node and missing ancestors. */
  async create(): Promise<void> {
    await ensurePath(this.client, this.path);
  }

  /** Takes it down; resolves false when it was not up. */
  async remove(): Promise<boolean> {
    return deleteIfExists(this.client, this.path);
  }

  /**
   * Resolves once the barrier is down (at once when it is not up). Rejects
   * with TimeoutError after `timeout` ms, CancelledError (or the signal's
   * HerdError reason) on abort, SessionExpiredError / ClientClosedError /
   * AuthFailedError when the session ends while waiting.
   */
  async wait(options: WaitOptions = {}): Promise<void> {
    const what = `barrier ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    for (;;) {
      const wake = new Wakeup();
      let deleted = false;
      const stat = await retryWhileConnected(
        this.client,
        () =>
          this.client.exists(this.path, {
            watch: (e) => {
              deleted = e.type === 'nodeDeleted';
              wake.fire();
            },
          }),
        options.signal,
      );
      if (stat === null) return;
      await waitForWake(this.client, wake, { deadline, signal: options.signal, what });
      if (deleted) return;
    }
  }
}

/** Options of {@link DoubleBarrier}. */
export interface DoubleBarrierOptions {
  /** Stored in our member node. Default `<hostname>-<pid>` (as Kazoo). */
  identifier?: string;
}

/** DoubleBarrier's marker child, `<path>/ready` (Kazoo's name): created when enough members entered. */
export const DOUBLE_BARRIER_READY_NODE = 'ready';

/** A double barrier (Kazoo's `DoubleBarrier`): enter together, leave together. */
export class DoubleBarrier {
  /** This member's identifier, stored in its node. */
  readonly identifier: string;
  /** Our member node's name. */
  readonly nodeName = uuidHex();
  private participating = false;

  /** No I/O. Throws BadArgumentsError when `numClients` is not a positive integer. */
  constructor(
    /** The client the barrier works through; its clock times waits. */
    readonly client: Client,
    /** The barrier's node (the members are its children). */
    readonly path: string,
    /** How many members enter before any of them passes. */
    readonly numClients: number,
    options: DoubleBarrierOptions = {},
  ) {
    if (!Number.isInteger(numClients) || numClients < 1) throw new BadArgumentsError(`double barrier ${path}: numClients must be a positive integer`);
    this.identifier = options.identifier ?? defaultIdentifier();
  }

  /** True between a successful enter and the end of leave. */
  get isParticipating(): boolean {
    return this.participating;
  }

  private get nodePath(): string {
    return joinPath(this.path, this.nodeName);
  }

  private get readyPath(): string {
    return joinPath(this.path, DOUBLE_BARRIER_READY_NODE);
  }

  /**
   * Enters; resolves once `numClients` members have entered. Rejects as
   * {@link Barrier.wait} does (TimeoutError, CancelledError, the session's
   * end), after deleting our member node.
   */
  async enter(options: WaitOptions = {}): Promise<void> {
    const what = `entering double barrier ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    const signal = options.signal;
    try {
      await ensurePath(this.client, this.path, signal);
      await this.createNode(signal);
      const wake = new Wakeup();
      const ready = await retryWhileConnected(
        this.client,
        () => this.client.exists(this.readyPath, { watch: (e) => e.type === 'nodeCreated' && wake.fire() }),
        signal,
      );
      if (ready === null) {
        const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path), signal);
        if (children.length < this.numClients) {
          await waitForWake(this.client, wake, { deadline, signal, what });
        } else {
          await ensurePath(this.client, this.readyPath, signal);
        }
      }
      this.participating = true;
    } catch (error) {
      this.participating = false;
      if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.nodePath).catch(() => {});
      throw error;
    }
  }

  /**
   * Leaves; resolves once every member has left. Rejects as
   * {@link Barrier.wait} does (TimeoutError, CancelledError, the session's end).
   */
  async leave(options: WaitOptions = {}): Promise<void> {
    const what = `leaving double barrier ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    const signal = options.signal;
    await deleteIfExists(this.client, this.readyPath);
    try {
      for (;;) {
        throwIfAborted(signal, what);
        const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path), signal);
        if (children.length === 0) return;
        if (children.length === 1 && children[0] === this.nodeName) {
          await deleteIfExists(this.client, this.nodePath);
          return;
        }
        children.sort();
        const lowest = children[0]!;
        // The lowest member waits for the highest to go; every other member
        // goes, then waits for the lowest (which goes last).
        let watched: string;
        if (lowest === this.nodeName) {
          watched = children[children.length - 1]!;
        } else {
          if (children.includes(this.nodeName)) await deleteIfExists(this.client, this.nodePath);
          watched = lowest;
        }
        const wake = new Wakeup();
        const stat = await retryWhileConnected(
          this.client,
          () => this.client.exists(joinPath(this.path, watched), { watch: wake.fire }),
          signal,
        );
        if (stat === null) continue;
        await waitForWake(this.client, wake, { deadline, signal, what });
      }
    } finally {
      this.participating = false;
    }
  }

  private async createNode(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      try {
        await this.client.create(this.nodePath, this.identifier, { mode: 'ephemeral' });
        return;
      } catch (error) {
        if (error instanceof NodeExistsError) return;
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.path, signal);
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }
}
