/**
 * LeaderLatch: Curator-style leadership. Every participant keeps an
 * ephemeral-sequential node; the lowest is the leader until it closes or
 * its session ends. Unlike {@link Election}, leadership is a state you
 * query and await, not a function you run.
 *
 * Usage:
 * ```ts
 * const latch = new LeaderLatch(client, '/app/leader', { id: 'node-a' });
 * latch.on('isLeader', () => startServing());
 * latch.on('notLeader', () => stopServing());
 * await latch.start();
 * await latch.await({ timeout: 10_000 });      // true once leader
 * latch.hasLeadership;                         // boolean, now
 * await latch.leader();                        // the leader's id, for anyone
 * await latch.close();                         // gives leadership up
 * ```
 *
 * Node layout (as Curator's LeaderLatch with protection):
 * - `<path>`: persistent, created when missing.
 * - `<path>/_c_<uuid>-latch-<seq>`: one ephemeral-sequential node per
 *   participant; data = its id, UTF-8. Ordered by the 10-digit sequence;
 *   each participant watches only its predecessor.
 *
 * Failure handling:
 * - Connection loss during the sequential create: the node is found again
 *   by its `_c_<uuid>` prefix, never created twice.
 * - Suspended: leadership is kept while the session may live; after the
 *   session timeout without reconnecting, or on expiry, `notLeader` fires at
 *   once (and `lost` with the reason). When the client gets a session again
 *   (a reconnect after the timeout, or a new session after expiry), the
 *   latch rejoins with a new node at the back of the line.
 * - Our node deleted by someone else: we rejoin.
 *
 * Limits: leadership is detected, not fenced: a leader that was partitioned
 * learns of its loss only after the session timeout.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Client } from '../client/index.js';
import { NoNodeError } from '../errors.js';
import { RecipeError } from './errors.js';
import {
  SessionGuard,
  Wakeup,
  deleteIfExists,
  ensurePath,
  isConnectionLoss,
  isSessionGone,
  joinPath,
  retry,
  waitForWake,
  type HoldOptions,
  readChildTexts,
} from './internal/index.js';

/** Curator's latch node name (after the protection prefix). */
export const LATCH_NODE_NAME = 'latch-';

export interface LeaderLatchOptions extends HoldOptions {
  /** Our id, stored as the node's data. Default ''. */
  id?: string;
}

export interface LeaderLatchEvents {
  isLeader: [];
  notLeader: [];
  /** Leadership (or participation) was lost involuntarily: session expiry, long suspension, node deleted. */
  lost: [Error];
  /** A background step failed (it is retried on the next state change). */
  error: [Error];
}

type LatchState = 'latent' | 'started' | 'closed';

const SEQ = /(\d{10})$/;

function seqOf(name: string): string {
  return SEQ.exec(name)?.[1] ?? '';
}

export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  readonly id: string;
  private state: LatchState = 'latent';
  private leading = false;
  private node: string | undefined;
  private prefix = `_c_${randomUUID()}-${LATCH_NODE_NAME}`;
  private readonly guard: SessionGuard;
  private generation = 0;
  private lostController = new AbortController();
  private leaderWaiters = new Set<() => void>();

  constructor(
    readonly client: Client,
    readonly path: string,
    options: LeaderLatchOptions = {},
  ) {
    super();
    this.id = options.id ?? '';
    this.guard = new SessionGuard(client, (reason) => this.onSessionLost(reason), options.suspendedTimeout);
    this.lostController.abort(new RecipeError('not leader'));
  }

  /** True while we are the leader (and not known to have lost it). */
  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Aborted when leadership ends (a new signal each time we become leader). */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** Joins: creates our node and starts following the line. Resolves once the node exists. */
  async start(): Promise<void> {
    if (this.state !== 'latent') throw new RecipeError(`leader latch already ${this.state}`);
    this.state = 'started';
    this.client.on('connected', this.onConnected);
    this.guard.start();
    await this.join();
  }

  /** Leaves: gives leadership up and deletes our node. */
  async close(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'closed';
    this.generation++;
    this.client.off('connected', this.onConnected);
    this.guard.stop();
    this.setLeader(false);
    const node = this.node;
    this.node = undefined;
    for (const w of this.leaderWaiters) w();
    if (node !== undefined && !isSessionGone(this.client)) await deleteIfExists(this.client, joinPath(this.path, node));
  }

  /**
   * Resolves true once we are leader, false on timeout or when the latch
   * closes; rejects with the signal's reason when aborted.
   */
  async await(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.leading) return true;
    if (this.state === 'closed') return false;
    const wake = new Wakeup();
    this.leaderWaiters.add(wake.fire);
    try {
      const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
      await waitForWake(this.client, wake.promise, { deadline, signal: options.signal, what: `leadership of ${this.path}` });
      return this.leading;
    } catch (error) {
      if (error instanceof Error && error.name === 'LockTimeoutError') return false;
      throw error;
    } finally {
      this.leaderWaiters.delete(wake.fire);
    }
  }

  /** The ids of all participants, the leader first. */
  async participants(): Promise<string[]> {
    const children = await retry(this.client, () => this.client.getChildren(this.path));
    const sorted = children.filter((c) => c.includes(LATCH_NODE_NAME) && SEQ.test(c)).sort((a, b) => cmp(seqOf(a), seqOf(b)));
    return readChildTexts(this.client, this.path, sorted);
  }

  /** The current leader's id, or undefined when nobody participates. */
  async leader(): Promise<string | undefined> {
    return (await this.participants())[0];
  }

  // ---- internals ------------------------------------------------------------------

  private async join(): Promise<void> {
    const generation = ++this.generation;
    await ensurePath(this.client, this.path);
    if (generation !== this.generation || this.state !== 'started') return;
    const node = await this.createNode();
    if (generation !== this.generation || this.state !== 'started') {
      await deleteIfExists(this.client, joinPath(this.path, node)).catch(() => {});
      return;
    }
    this.node = node;
    void this.follow(generation);
  }

  /** Creates our node; after a connection loss, finds it by our unique prefix before creating again. */
  private async createNode(): Promise<string> {
    let look = false;
    for (;;) {
      if (look) {
        const children = await retry(this.client, () => this.client.getChildren(this.path));
        const found = children.find((c) => c.startsWith(this.prefix));
        if (found !== undefined) return found;
      }
      look = true;
      try {
        const created = await this.client.create(joinPath(this.path, this.prefix), this.id, { mode: 'ephemeralSequential' });
        return created.slice(created.lastIndexOf('/') + 1);
      } catch (error) {
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.path);
          look = false;
          continue;
        }
        if (!isConnectionLoss(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  /** Watches the predecessor until we are first, then is leader until our node goes. */
  private async follow(generation: number): Promise<void> {
    try {
      while (generation === this.generation && this.state === 'started') {
        const children = await retry(this.client, () => this.client.getChildren(this.path));
        // close() (or a lost session) during the listing: our node is gone on
        // purpose; taking that for a deletion by someone would rejoin a closed latch.
        if (generation !== this.generation || this.state !== 'started') return;
        const node = this.node!;
        if (!children.includes(node)) {
          // Deleted by someone, or gone with a session: rejoin at the back.
          this.setLeader(false);
          if (isSessionGone(this.client)) return;
          this.emit('lost', new RecipeError(`latch node ${node} disappeared`));
          this.prefix = `_c_${randomUUID()}-${LATCH_NODE_NAME}`;
          void this.join();
          return;
        }
        const own = seqOf(node);
        const ahead = children.filter((c) => c.includes(LATCH_NODE_NAME) && SEQ.test(c) && cmp(seqOf(c), own) < 0);
        ahead.sort((a, b) => cmp(seqOf(a), seqOf(b)));
        const watched = ahead.length === 0 ? node : ahead[ahead.length - 1]!;
        const wake = new Wakeup();
        const stat = await retry(this.client, () => this.client.exists(joinPath(this.path, watched), { watch: wake.fire }));
        if (generation !== this.generation) return;
        if (stat === null) continue;
        this.setLeader(ahead.length === 0);
        await wake.promise;
      }
    } catch (error) {
      if (generation === this.generation && this.state === 'started' && !isSessionGone(this.client)) {
        this.fail(error);
      }
    }
  }

  /** Reports a background failure on `error` when someone listens (an unheard 'error' would crash the process). */
  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  private setLeader(value: boolean): void {
    if (this.leading === value) return;
    this.leading = value;
    if (value) {
      this.lostController = new AbortController();
      for (const w of this.leaderWaiters) w();
      this.emit('isLeader');
    } else {
      this.lostController.abort(new RecipeError('leadership ended'));
      this.emit('notLeader');
    }
  }

  private onSessionLost(reason: Error): void {
    if (this.state !== 'started') return;
    this.generation++;
    const wasLeader = this.leading;
    if (wasLeader) this.lostController.abort(reason);
    this.leading = false;
    const node = this.node;
    this.node = undefined;
    if (wasLeader) this.emit('notLeader');
    this.emit('lost', reason);
    // If the old session comes back after all, its node must not keep the lead.
    if (node !== undefined && !isSessionGone(this.client)) deleteIfExists(this.client, joinPath(this.path, node)).catch(() => {});
    this.prefix = `_c_${randomUUID()}-${LATCH_NODE_NAME}`;
  }

  /** After a lost session, a new one: join again. */
  private readonly onConnected = (): void => {
    if (this.state !== 'started' || this.node !== undefined) return;
    this.guard.start();
    this.join().catch((error: unknown) => this.fail(error));
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
