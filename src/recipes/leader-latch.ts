/**
 * LeaderLatch: Curator-style leadership. Every participant keeps an
 * ephemeral-sequential node; the lowest is the leader until it closes or
 * its session ends. Unlike {@link Election}, leadership is a state you
 * query and await, not a function you run.
 *
 * Usage:
 * ```ts
 * const latch = new LeaderLatch(client, '/app/leader', { identifier: 'node-a' });
 * latch.on('isLeader', () => startServing());
 * latch.on('notLeader', () => stopServing());
 * await latch.start();
 * await latch.await({ timeout: 10_000 });      // resolves once leader; TimeoutError after 10 s
 * latch.hasLeadership;                         // boolean, now
 * await latch.leader();                        // the leader's identifier, for anyone
 * await latch.close();                         // gives leadership up
 * // or: await using latch = ...; (close on dispose)
 * ```
 *
 * Node layout (as Curator's LeaderLatch with protection):
 * - `<path>`: persistent, created when missing.
 * - `<path>/_c_<uuid>-latch-<seq>`: one ephemeral-sequential node per
 *   participant; data = its identifier, UTF-8. Ordered by the 10-digit sequence;
 *   each participant watches only its predecessor.
 *
 * Failure handling:
 * - Connection loss during the sequential create: the node is found again
 *   by its `_c_<uuid>` prefix, never created twice.
 * - Suspended: leadership is kept while the session may live; after the
 *   session timeout (on the client's clock) without reconnecting, or on
 *   expiry, `notLeader` fires at once (and `lost` with a SessionLostError). When the client gets a session again
 *   (a reconnect after the timeout, or a new session after expiry), the
 *   latch rejoins with a new node at the back of the line.
 * - Our node deleted by someone else: `lost`, and we rejoin.
 * - A wait in `await` rejects with TimeoutError, CancelledError, or the
 *   session's end (SessionExpiredError, ClientClosedError, AuthFailedError);
 *   with CancelledError too when the latch is closed meanwhile.
 *
 * Limits: leadership is detected, not fenced: a leader that was partitioned
 * learns of its loss only after the session timeout.
 */
import { EventEmitter } from 'node:events';
import { joinPath } from '../base/path.js';
import { Deadline, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { CancelledError, HerdError, InvalidStateError, NoNodeError, SessionLostError } from '../errors.js';
import {
  SessionGuard,
  Wakeup,
  checkWaitOptions,
  deleteIfExists,
  ensurePath,
  isSessionGone,
  protectedPrefix,
  readChildTexts,
  retryWhileConnected,
  waitForWake,
  type HoldOptions,
  onSessionEvents,
} from './internal/index.js';

/** Curator's latch node name (after the protection prefix). */
export const LATCH_NODE_NAME = 'latch-';

/** Options of {@link LeaderLatch}. */
export interface LeaderLatchOptions extends HoldOptions {
  /** Our identifier, stored as the node's data. Default ''. */
  identifier?: string;
}

/** The events of {@link LeaderLatch} (Curator's listener names). */
export interface LeaderLatchEvents {
  /** We became the leader. */
  isLeader: [];
  /** We are not the leader any more. */
  notLeader: [];
  /** Leadership (or participation) was lost involuntarily: session expiry, long suspension, node deleted. */
  lost: [SessionLostError];
  /**
   * A background step failed (it is retried on the next state change);
   * emitted only while someone listens.
   */
  error: [Error];
}

type LatchState = 'latent' | 'started' | 'closed';

const SEQ = /(\d{10})$/;

function seqOf(name: string): string {
  return SEQ.exec(name)?.[1] ?? '';
}

/** Curator-style leadership that is a state: see the module comment. */
export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  /** Our identifier, stored in our node. */
  readonly identifier: string;
  private state: LatchState = 'latent';
  private leading = false;
  private node: string | undefined;
  private prefix = protectedPrefix() + LATCH_NODE_NAME;
  private readonly guard: SessionGuard;
  private generation = 0;
  private lostController = new AbortController();
  private leaderWaiters = new Set<() => void>();

  /** No I/O: {@link start} joins. */
  constructor(
    /** The client the latch works through; its clock times waits and the suspended timeout. */
    readonly client: Client,
    /** The latch's node (the participants are its children). */
    readonly path: string,
    options: LeaderLatchOptions = {},
  ) {
    super();
    this.identifier = options.identifier ?? '';
    this.guard = new SessionGuard(client, (reason) => this.onSessionLost(reason), options.suspendedTimeout);
    this.lostController.abort(new CancelledError(`leader latch ${path}: not leader`));
  }

  /** True while we are the leader (and not known to have lost it). */
  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Aborted when leadership ends (a new signal each time we become leader). */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Joins: creates our node and starts following the line. Resolves once
   * the node exists. Rejects with InvalidStateError when started or closed
   * already.
   */
  async start(): Promise<void> {
    if (this.state !== 'latent') throw new InvalidStateError(`leader latch ${this.path}: already ${this.state}`);
    this.state = 'started';
    this.unsubscribe = onSessionEvents(this.client, { connected: this.onConnected });
    this.guard.start();
    await this.join();
  }

  /** Leaves: gives leadership up and deletes our node. Idempotent; a latch never started just becomes closed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    if (!wasStarted) return;
    this.generation++;
    this.unsubscribe();
    this.guard.stop();
    this.setLeader(false, new CancelledError(`leader latch ${this.path}: closed`));
    const node = this.node;
    this.node = undefined;
    for (const w of this.leaderWaiters) w();
    if (node !== undefined && !isSessionGone(this.client)) await deleteIfExists(this.client, joinPath(this.path, node));
  }

  /** As {@link close}: `await using latch = new LeaderLatch(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Resolves once we are the leader (at once when we are). Rejects with
   * TimeoutError after `timeout` ms, CancelledError (or the signal's
   * HerdError reason) on abort or when the latch is closed meanwhile,
   * SessionExpiredError / ClientClosedError / AuthFailedError when the
   * session ends while waiting, InvalidStateError when the latch was not
   * started or is closed.
   */
  async await(options: WaitOptions = {}): Promise<void> {
    const what = `leadership of ${this.path}`;
    checkWaitOptions(options, what);
    if (this.leading) return;
    if (this.state !== 'started') throw new InvalidStateError(`leader latch ${this.path}: ${this.state === 'latent' ? 'not started' : 'closed'}`);
    const deadline = new Deadline(this.client.clock, options.timeout);
    const wake = new Wakeup();
    this.leaderWaiters.add(wake.fire);
    try {
      await waitForWake(this.client, wake, { deadline, signal: options.signal, what });
    } finally {
      this.leaderWaiters.delete(wake.fire);
    }
    if (!this.leading) throw new CancelledError(`${what}: the latch was closed`);
  }

  /** The identifiers of all participants, the leader first. */
  async participants(): Promise<string[]> {
    const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path));
    const sorted = children.filter((c) => c.includes(LATCH_NODE_NAME) && SEQ.test(c)).sort((a, b) => cmp(seqOf(a), seqOf(b)));
    return readChildTexts(this.client, this.path, sorted);
  }

  /** The current leader's identifier, or undefined when nobody participates. */
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
        const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path));
        const found = children.find((c) => c.startsWith(this.prefix));
        if (found !== undefined) return found;
      }
      look = true;
      try {
        const created = await this.client.create(joinPath(this.path, this.prefix), this.identifier, { mode: 'ephemeralSequential' });
        return created.slice(created.lastIndexOf('/') + 1);
      } catch (error) {
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.path);
          look = false;
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  /** Watches the predecessor until we are first, then is leader until our node goes. */
  private async follow(generation: number): Promise<void> {
    try {
      while (generation === this.generation && this.state === 'started') {
        const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path));
        // close() (or a lost session) during the listing: our node is gone on
        // purpose; taking that for a deletion by someone would rejoin a closed latch.
        if (generation !== this.generation || this.state !== 'started') return;
        const node = this.node!;
        if (!children.includes(node)) {
          // Deleted by someone, or gone with a session: rejoin at the back.
          const reason = new SessionLostError(`leader latch ${this.path}: our node ${node} disappeared`);
          this.setLeader(false, reason);
          if (isSessionGone(this.client)) return;
          this.emit('lost', reason);
          this.prefix = protectedPrefix() + LATCH_NODE_NAME;
          void this.join();
          return;
        }
        const own = seqOf(node);
        const ahead = children.filter((c) => c.includes(LATCH_NODE_NAME) && SEQ.test(c) && cmp(seqOf(c), own) < 0);
        ahead.sort((a, b) => cmp(seqOf(a), seqOf(b)));
        const watched = ahead.length === 0 ? node : ahead[ahead.length - 1]!;
        const wake = new Wakeup();
        const stat = await retryWhileConnected(this.client, () => this.client.exists(joinPath(this.path, watched), { watch: wake.fire }));
        if (generation !== this.generation) return;
        if (stat === null) continue;
        if (ahead.length === 0) this.setLeader(true);
        else this.setLeader(false, new SessionLostError(`leader latch ${this.path}: another participant is ahead of us`));
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
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new HerdError('UNKNOWN', String(error)));
  }

  /** Becomes leader, or stops being it (`reason`: the `lost` signal's reason). */
  private setLeader(value: boolean, reason?: HerdError): void {
    if (this.leading === value) return;
    this.leading = value;
    if (value) {
      this.lostController = new AbortController();
      for (const w of this.leaderWaiters) w();
      this.emit('isLeader');
    } else {
      this.lostController.abort(reason);
      this.emit('notLeader');
    }
  }

  private onSessionLost(reason: SessionLostError): void {
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
    this.prefix = protectedPrefix() + LATCH_NODE_NAME;
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
