/**
 * SetPartitioner: divides a set of work items among the live members of a
 * party, each item to one member, and re-divides when members come or go.
 * Node for node compatible with Kazoo's `SetPartitioner`.
 *
 * Usage:
 * ```ts
 * const p = new SetPartitioner(client, '/app/queues', ['q1', 'q2', 'q3'], { identifier: 'worker-1', timeBoundary: 1000 });
 * p.on('acquired', (items) => startConsuming(items));
 * p.on('release', async () => { await stopConsuming(); await p.releaseSet(); }); // then it reallocates
 * p.on('failure', (reason) => process.exit(1));
 * await p.start();
 * await p.waitForAcquire({ timeout: 30_000 });   // TimeoutError after 30 s; the failure's reason if it fails
 * await p.close();                               // gives the items up, leaves (or: await using p = ...)
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>/party`: a {@link ShallowParty}: `<uuid hex>-<identifier>`
 *   ephemeral per member.
 * - `<path>/locks/<item>`: one {@link Lock} per item (contenders
 *   `<uuid hex>__lock__<seq>`); a member holds the locks of its items, so no
 *   item is ever worked on by two members, even while re-dividing.
 * - Division (Kazoo's default): items sorted, member identifiers sorted,
 *   member i of n gets items i, i+n, i+2n, ...
 *
 * States (as Kazoo): `allocating` → `acquired` → (membership changed or the
 * connection was suspended) `release` → (after {@link releaseSet})
 * `allocating` ... and `failure` (session expired, the item locks could
 * not be released, or {@link SetPartitioner.close}), after which the
 * partitioner is dead: make a new one.
 *
 * Failure handling: allocation waits until the party has not changed for
 * `timeBoundary` ms; each item lock is tried for `maxReactionTime` ms at a
 * time (both timed on the client's clock), and if the party changed meanwhile the locks taken so far are
 * released and allocation starts over. Lock creates lost to a connection
 * loss are recovered by Lock itself (uuid prefix). Session expiry → failure,
 * at once.
 *
 * Limits: identifiers must be unique and valid in node names (ShallowParty).
 */
import { EventEmitter } from 'node:events';
import { joinPath } from '../base/path.js';
import { Deadline, sleep, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { CancelledError, HerdError, SessionLostError, TimeoutError } from '../errors.js';
import { Lock } from './lock.js';
import { ShallowParty } from './party.js';
import { Wakeup, checkWaitOptions, defaultIdentifier, ensurePath, retryWhileConnected, sessionEndedError, waitForWake, onSessionEvents } from './internal/index.js';

/** The states of a {@link SetPartitioner} (Kazoo's). */
export type PartitionState = 'allocating' | 'acquired' | 'release' | 'failure';

/** Picks this member's items: (identifier, all member identifiers, all items) → ours. */
export type PartitionFunc = (identifier: string, members: readonly string[], items: readonly string[]) => string[];

/** Kazoo's default division: sorted items, every n-th from our index among the sorted members. */
export const roundRobinPartition: PartitionFunc = (identifier, members, items) => {
  const all = [...items].sort();
  const workers = [...members].sort();
  const i = workers.indexOf(identifier);
  if (i < 0) return [];
  return all.filter((_, k) => k % workers.length === i);
};

/** Options of {@link SetPartitioner}. */
export interface SetPartitionerOptions {
  /** This member's identifier; unique, and valid in a node name. Default `<hostname>-<pid>` (as Kazoo). */
  identifier?: string;
  /** How the items are divided. Default {@link roundRobinPartition}. */
  partitionFunc?: PartitionFunc;
  /** How long the party must be stable before dividing, ms. Default 30000 (Kazoo's 30 s). */
  timeBoundary?: number;
  /** How long each try for an item lock lasts before re-checking the party, ms. Default 1000. */
  maxReactionTime?: number;
}

/** The events of {@link SetPartitioner}. */
export interface SetPartitionerEvents {
  /** The state changed; the new state. */
  state: [PartitionState];
  /** Our items are held (state `acquired`); the items. */
  acquired: [readonly string[]];
  /** State `release`: call {@link SetPartitioner.releaseSet} once the items are not worked on any more. */
  release: [];
  /** State `failure`: the partitioner is dead; the reason (emitted only while someone listens). */
  failure: [HerdError];
}

/** Divides a set of items among the members of a party (Kazoo's SetPartitioner): see the module comment. */
export class SetPartitioner extends EventEmitter<SetPartitionerEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  /** This member's identifier. */
  readonly identifier: string;
  /** The whole set of items. */
  readonly items: readonly string[];
  private readonly partitionFunc: PartitionFunc;
  private readonly timeBoundary: number;
  private readonly maxReactionTime: number;
  private readonly party: ShallowParty;
  private current: PartitionState = 'allocating';
  private stateId = 0;
  private locks: Lock[] = [];
  private partition: string[] = [];
  private partyChanged = false;
  private failure: HerdError | undefined;

  /** No I/O: {@link start} joins. */
  constructor(
    /** The client the partitioner works through; its clock times the allocation. */
    readonly client: Client,
    /** The partitioner's node (`party` and `locks` below it). */
    readonly path: string,
    items: Iterable<string>,
    options: SetPartitionerOptions = {},
  ) {
    super();
    this.items = [...items];
    this.identifier = options.identifier ?? defaultIdentifier();
    this.partitionFunc = options.partitionFunc ?? roundRobinPartition;
    this.timeBoundary = options.timeBoundary ?? 30_000;
    this.maxReactionTime = options.maxReactionTime ?? 1000;
    this.party = new ShallowParty(client, joinPath(path, 'party'), { identifier: this.identifier });
  }

  /** The current state. */
  get state(): PartitionState {
    return this.current;
  }
  /** State `failure`. */
  get failed(): boolean {
    return this.current === 'failure';
  }
  /** State `acquired`. */
  get acquired(): boolean {
    return this.current === 'acquired';
  }
  /** State `allocating`. */
  get allocating(): boolean {
    return this.current === 'allocating';
  }
  /** State `release`. */
  get release(): boolean {
    return this.current === 'release';
  }

  /** Our items (valid in state `acquired`). */
  get partitions(): string[] {
    return [...this.partition];
  }

  /** Iterates over {@link partitions}. */
  [Symbol.iterator](): Iterator<string> {
    return this.partitions[Symbol.iterator]();
  }

  /** Joins the party and starts allocating (in the background); resolves once joined. */
  async start(): Promise<void> {
    await ensurePath(this.client, this.path);
    await ensurePath(this.client, joinPath(this.path, 'locks'));
    await ensurePath(this.client, joinPath(this.path, 'party'));
    await this.party.join();
    this.unsubscribe = onSessionEvents(this.client, { expired: this.onExpired, closed: this.onExpired, disconnected: this.onSuspended });
    this.allocate();
  }

  /**
   * Resolves once in state `acquired` (at once when it is). Rejects with
   * the failure's reason once in `failure` (a SessionLostError, or the
   * CancelledError of {@link close}), TimeoutError after `timeout` ms,
   * CancelledError (or the signal's HerdError reason) on abort,
   * SessionExpiredError / ClientClosedError / AuthFailedError when the
   * session ends while waiting.
   */
  async waitForAcquire(options: WaitOptions = {}): Promise<void> {
    const what = `partition of ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    while (this.current !== 'acquired') {
      if (this.current === 'failure') throw this.failure ?? new SessionLostError(`${what}: failed`);
      const wake = new Wakeup();
      this.once('state', wake.fire);
      try {
        await waitForWake(this.client, wake, { deadline, signal: options.signal, what });
      } finally {
        this.off('state', wake.fire);
      }
    }
  }

  /** In `release`: gives our items up, then allocates again. */
  async releaseSet(): Promise<void> {
    await this.releaseLocks();
    if (this.locks.length > 0) return this.failOut(new SessionLostError(`partition of ${this.path}: could not release the item locks`));
    if (this.failed) return;
    this.setState('allocating');
    this.allocate();
  }

  /**
   * Gives our items up and leaves the party; the partitioner is then in
   * `failure` (done, reason: a CancelledError). Idempotent.
   */
  async close(): Promise<void> {
    await this.releaseLocks();
    await this.failOut(new CancelledError(`partition of ${this.path}: closed`));
  }

  /** As {@link close}: `await using p = new SetPartitioner(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ------------------------------------------------------------------

  private setState(state: PartitionState): void {
    this.current = state;
    this.stateId++;
    this.emit('state', state);
    if (state === 'release') this.emit('release');
  }

  private async failOut(reason: HerdError): Promise<void> {
    if (this.current !== 'failure') {
      this.failure = reason;
      this.setState('failure');
      this.unsubscribe();
      if (this.listenerCount('failure') > 0) this.emit('failure', reason);
    }
    if (this.party.isParticipating) await this.party.leave().catch(() => false);
  }

  private allocate(): void {
    this.runAllocation().catch((error: unknown) =>
      this.failOut(error instanceof HerdError ? error : new SessionLostError(`partition of ${this.path}: allocation failed`, { cause: error })),
    );
  }

  /** Waits for the party to be stable for timeBoundary, returns the members and arms `partyChanged`. */
  private async stableMembers(): Promise<string[]> {
    const partyPath = joinPath(this.path, 'party');
    for (;;) {
      let changed = false;
      const wake = new Wakeup();
      const watch = (): void => {
        changed = true;
        wake.fire();
      };
      const before = await retryWhileConnected(this.client, () => this.client.getChildren(partyPath, { watch }));
      const pause = new AbortController();
      await Promise.race([wake.promise, sleep(this.client.clock, this.timeBoundary, pause.signal).catch(() => {})]);
      pause.abort();
      if (changed) continue;
      this.partyChanged = false;
      // Keep watching: any change from here on aborts this allocation or releases the set.
      await retryWhileConnected(this.client, () =>
        this.client.getChildren(partyPath, {
          watch: () => {
            this.partyChanged = true;
            if (this.current === 'acquired') this.setState('release');
          },
        }),
      ).then((now) => {
        if (now.length !== before.length || now.some((c) => !before.includes(c))) this.partyChanged = true;
      });
      return before.map((c) => c.slice(c.indexOf('-') + 1));
    }
  }

  private async runAllocation(): Promise<void> {
    if (!this.allocating) return;
    const stateId = this.stateId;
    const members = await this.stableMembers();
    if (this.stateId !== stateId) return;
    const mine = this.partitionFunc(this.identifier, members, this.items);
    for (const item of mine) {
      const lock = new Lock(this.client, joinPath(joinPath(this.path, 'locks'), item), { identifier: this.identifier });
      for (;;) {
        try {
          await lock.acquire({ timeout: this.maxReactionTime });
          break;
        } catch (error) {
          if (!(error instanceof TimeoutError)) return this.close();
          if (await this.abortIfNeeded(stateId)) return;
        }
      }
      this.locks.push(lock);
      if (await this.abortIfNeeded(stateId)) return;
    }
    if (this.stateId === stateId && !this.partyChanged) {
      this.partition = mine;
      this.setState('acquired');
      this.emit('acquired', [...mine]);
      return;
    }
    if (!(await this.abortIfNeeded(stateId))) await this.failOut(new SessionLostError(`partition of ${this.path}: allocation failed`));
  }

  /** During allocation: if the party changed, release what we took and start over. */
  private async abortIfNeeded(stateId: number): Promise<boolean> {
    if (this.stateId !== stateId) {
      if (this.allocating || this.acquired) this.setState('release');
      return true;
    }
    if (!this.partyChanged) return false;
    await this.releaseLocks();
    if (this.locks.length > 0) {
      await this.failOut(new SessionLostError(`partition of ${this.path}: could not release the item locks`));
      return true;
    }
    this.allocate();
    return true;
  }

  private async releaseLocks(): Promise<void> {
    this.partition = [];
    for (const lock of [...this.locks]) {
      try {
        await lock.release();
        this.locks.splice(this.locks.indexOf(lock), 1);
      } catch {
        // kept: the caller fails out
      }
    }
  }

  private readonly onExpired = (): void => {
    this.locks = [];
    this.partition = [];
    void this.failOut(new SessionLostError(`partition of ${this.path}: the session ended, the partition is lost`, { cause: sessionEndedError(this.client, `partition of ${this.path}`) }));
  };

  /** Kazoo moves to release on any connection state change: our locks may be gone. */
  private readonly onSuspended = (): void => {
    if (this.current === 'acquired') this.setState('release');
  };
}
