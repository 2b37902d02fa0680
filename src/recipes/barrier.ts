/**
 * Barrier and DoubleBarrier, node for node compatible with Kazoo's
 * `kazoo.recipe.barrier`.
 *
 * Usage:
 * ```ts
 * const gate = new Barrier(client, '/app/gate');
 * await gate.create();                     // closed while the node exists
 * await gate.wait({ timeout: 5000 });      // true once removed, false on timeout
 * await gate.remove();                     // opens it
 *
 * const phase = new DoubleBarrier(client, '/app/phase', 3, { identifier: 'w1' });
 * await phase.enter();                     // blocks until 3 members entered
 * // ... work ...
 * await phase.leave();                     // blocks until all left
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
 * - Waits survive connection loss (the client restores the watches) and
 *   reject with SessionExpiredError on session expiry (our member node is
 *   gone: the barrier cannot be trusted); `enter` deletes our node when it
 *   fails or times out.
 *
 * Limits: a member whose session expires between enter and leave
 * disappears from the count; the others may then leave early (as Kazoo).
 */
import { hostname } from 'node:os';
import type { Client } from '../client/index.js';
import { NoNodeError, NodeExistsError } from '../errors.js';
import { LockTimeoutError } from './errors.js';
import {
  Wakeup,
  deleteIfExists,
  ensurePath,
  isConnectionLoss,
  isSessionGone,
  joinPath,
  retry,
  throwIfAborted,
  uuidHex,
  waitForWake,
} from './internal/index.js';

export interface WaitOptions {
  /** ms; default for ever. */
  timeout?: number;
  signal?: AbortSignal;
}

export class Barrier {
  constructor(
    readonly client: Client,
    readonly path: string,
  ) {}

  /** Puts the barrier up (idempotent). */
  async create(): Promise<void> {
    await ensurePath(this.client, this.path);
  }

  /** Takes it down; resolves false when it was not up. */
  async remove(): Promise<boolean> {
    return deleteIfExists(this.client, this.path);
  }

  /** Resolves true once the barrier is down, false after `timeout`. */
  async wait(options: WaitOptions = {}): Promise<boolean> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    for (;;) {
      const wake = new Wakeup();
      let deleted = false;
      const stat = await retry(
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
      if (stat === null) return true;
      try {
        await waitForWake(this.client, wake.promise, { deadline, signal: options.signal, what: `barrier ${this.path}` });
      } catch (error) {
        if (error instanceof LockTimeoutError) return false;
        throw error;
      }
      if (deleted) return true;
    }
  }
}

export interface DoubleBarrierOptions {
  /** Stored in our member node. Default `<hostname>-<pid>` (as Kazoo). */
  identifier?: string;
}

export class DoubleBarrier {
  readonly identifier: string;
  /** Our member node's name. */
  readonly nodeName = uuidHex();
  private participating = false;

  constructor(
    readonly client: Client,
    readonly path: string,
    readonly numClients: number,
    options: DoubleBarrierOptions = {},
  ) {
    this.identifier = options.identifier ?? `${hostname()}-${process.pid}`;
  }

  get isParticipating(): boolean {
    return this.participating;
  }

  private get nodePath(): string {
    return joinPath(this.path, this.nodeName);
  }

  private get readyPath(): string {
    return joinPath(this.path, 'ready');
  }

  /** Enters; resolves once `numClients` members have entered. */
  async enter(options: WaitOptions = {}): Promise<void> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    try {
      await ensurePath(this.client, this.path, options.signal);
      await this.createNode(options.signal);
      const wake = new Wakeup();
      const ready = await retry(
        this.client,
        () => this.client.exists(this.readyPath, { watch: (e) => e.type === 'nodeCreated' && wake.fire() }),
        options.signal,
      );
      if (ready === null) {
        const children = await retry(this.client, () => this.client.getChildren(this.path), options.signal);
        if (children.length < this.numClients) {
          await waitForWake(this.client, wake.promise, { deadline, signal: options.signal, what: `entering double barrier ${this.path}` });
        } else {
          await ensurePath(this.client, this.readyPath, options.signal);
        }
      }
      this.participating = true;
    } catch (error) {
      this.participating = false;
      if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.nodePath).catch(() => {});
      throw error;
    }
  }

  /** Leaves; resolves once every member has left. */
  async leave(options: WaitOptions = {}): Promise<void> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const signal = options.signal;
    await deleteIfExists(this.client, this.readyPath);
    try {
      for (;;) {
        throwIfAborted(signal);
        const children = await retry(this.client, () => this.client.getChildren(this.path), signal);
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
        const stat = await retry(
          this.client,
          () => this.client.exists(joinPath(this.path, watched), { watch: wake.fire }),
          signal,
        );
        if (stat === null) continue;
        await waitForWake(this.client, wake.promise, { deadline, signal, what: `leaving double barrier ${this.path}` });
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
        if (!isConnectionLoss(error) || isSessionGone(this.client)) throw error;
      }
    }
  }
}
