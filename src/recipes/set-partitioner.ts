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
 * await p.waitForAcquire({ timeout: 30_000 });
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
 * `allocating` ... and `failure` (session expired, or the item locks could
 * not be released), after which the partitioner is dead: make a new one.
 *
 * Failure handling: allocation waits until the party has not changed for
 * `timeBoundary` ms; each item lock is tried for `maxReactionTime` ms at a
 * time, and if the party changed meanwhile the locks taken so far are
 * released and allocation starts over. Lock creates lost to a connection
 * loss are recovered by Lock itself (uuid prefix). Session expiry → failure,
 * at once.
 *
 * Limits: identifiers must be unique and valid in node names (ShallowParty).
 */
import { hostname } from 'node:os';
import { EventEmitter } from 'node:events';
import type { Client } from '../client/index.js';
import { LockTimeoutError, RecipeError, SessionLostError } from './errors.js';
import { Lock } from './lock.js';
import { ShallowParty } from './party.js';
import { Wakeup, ensurePath, joinPath, retry, sleep, waitForWake } from './internal/index.js';

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

export interface SetPartitionerOptions {
  /** Default `<hostname>-<pid>` (as Kazoo). */
  identifier?: string;
  partitionFunc?: PartitionFunc;
  /** How long the party must be stable before dividing, ms. Default 30000 (Kazoo's 30 s). */
  timeBoundary?: number;
  /** How long each try for an item lock lasts before re-checking the party, ms. Default 1000. */
  maxReactionTime?: number;
}

export interface SetPartitionerEvents {
  state: [PartitionState];
  acquired: [string[]];
  release: [];
  failure: [Error];
}

export class SetPartitioner extends EventEmitter<SetPartitionerEvents> {
  readonly identifier: string;
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

  constructor(
    readonly client: Client,
    readonly path: string,
    items: Iterable<string>,
    options: SetPartitionerOptions = {},
  ) {
    super();
    this.items = [...items];
    this.identifier = options.identifier ?? `${hostname()}-${process.pid}`;
    this.partitionFunc = options.partitionFunc ?? roundRobinPartition;
    this.timeBoundary = options.timeBoundary ?? 30_000;
    this.maxReactionTime = options.maxReactionTime ?? 1000;
    this.party = new ShallowParty(client, joinPath(path, 'party'), { identifier: this.identifier });
  }

  get state(): PartitionState {
    return this.current;
  }
  get failed(): boolean {
    return this.current === 'failure';
  }
  get acquired(): boolean {
    return this.current === 'acquired';
  }
  get allocating(): boolean {
    return this.current === 'allocating';
  }
  get release(): boolean {
    return this.current === 'release';
  }

  /** Our items (valid in state `acquired`). */
  get partitions(): string[] {
    return [...this.partition];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.partitions[Symbol.iterator]();
  }

  /** Joins the party and starts allocating. */
  async start(): Promise<void> {
    await ensurePath(this.client, this.path);
    await ensurePath(this.client, joinPath(this.path, 'locks'));
    await ensurePath(this.client, joinPath(this.path, 'party'));
    await this.party.join();
    this.client.on('expired', this.onExpired);
    this.client.on('closed', this.onExpired);
    this.client.on('disconnected', this.onSuspended);
    this.allocate();
  }

  /** Resolves true once in `acquired`, false on timeout or failure. */
  async waitForAcquire(options: { timeout?: number } = {}): Promise<boolean> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    while (this.current !== 'acquired' && this.current !== 'failure') {
      const wake = new Wakeup();
      this.once('state', wake.fire);
      try {
        await waitForWake(this.client, wake.promise, { deadline, what: `partition of ${this.path}` });
      } catch (error) {
        this.off('state', wake.fire);
        if (error instanceof LockTimeoutError) return false;
        throw error;
      }
    }
    return this.current === 'acquired';
  }

  /** In `release`: gives our items up, then allocates again. */
  async releaseSet(): Promise<void> {
    await this.releaseLocks();
    if (this.locks.length > 0) return this.failOut(new RecipeError('could not release the item locks'));
    if (this.failed) return;
    this.setState('allocating');
    this.allocate();
  }

  /** Gives our items up and leaves the party; the partitioner is then in `failure` (done). */
  async finish(): Promise<void> {
    await this.releaseLocks();
    await this.failOut(new RecipeError('finished'));
  }

  // ---- internals ------------------------------------------------------------------

  private setState(state: PartitionState): void {
    this.current = state;
    this.stateId++;
    this.emit('state', state);
    if (state === 'release') this.emit('release');
  }

  private async failOut(reason: Error): Promise<void> {
    if (this.current !== 'failure') {
      this.setState('failure');
      this.client.off('expired', this.onExpired);
      this.client.off('closed', this.onExpired);
      this.client.off('disconnected', this.onSuspended);
      if (this.listenerCount('failure') > 0) this.emit('failure', reason);
    }
    if (this.party.isParticipating) await this.party.leave().catch(() => false);
  }

  private allocate(): void {
    this.runAllocation().catch((error: unknown) => this.failOut(error instanceof Error ? error : new Error(String(error))));
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
      const before = await retry(this.client, () => this.client.getChildren(partyPath, { watch }));
      await Promise.race([wake.promise, sleep(this.timeBoundary)]);
      if (changed) continue;
      this.partyChanged = false;
      // Keep watching: any change from here on aborts this allocation or releases the set.
      await retry(this.client, () =>
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
          if (!(error instanceof LockTimeoutError)) return this.finish();
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
    if (!(await this.abortIfNeeded(stateId))) await this.failOut(new RecipeError('allocation failed'));
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
      await this.failOut(new RecipeError('could not release the item locks'));
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
    void this.failOut(new SessionLostError(`session ${this.client.state}: the partition is lost`));
  };

  /** Kazoo moves to release on any connection state change: our locks may be gone. */
  private readonly onSuspended = (): void => {
    if (this.current === 'acquired') this.setState('release');
  };
}
