/**
 * A cluster node: this process as a member of a named cluster, with the
 * policy on top of a {@link ClusterBackend}: which members run for primary,
 * when a node must exit, and the order of the callbacks.
 *
 * Usage:
 * ```ts
 * await using node = await joinCluster({
 *   cluster: 'billing',
 *   identifier: 'node01',
 *   address: '10.0.0.5:7000',
 *   version: '1.4.0',
 *   backend: { coordination: 'localhost:2181/herd' },
 *   onPrimary: ({ epoch, signal }) => startJobs(epoch, signal),
 *   onSecondary: () => stopJobs(),
 *   onExit: () => process.exit(0),
 * });
 * node.on('members', ({ joined, left }) => ...);
 * await node.close(); // or at the end of the `await using` scope
 * ```
 *
 * Policy:
 * - Only members of the highest version in the view are candidates, so the
 *   primary is never of a lower version than a member it has seen. When a
 *   member of a higher version joins, a lower-version primary resigns.
 * - `exit-on-newer` (default): a node that sees a member of a higher version
 *   leaves the cluster, then `onExit({ reason: 'superseded', by })` runs: a
 *   rolling upgrade drains the old instances. `ignore`: it stays, never primary.
 *
 * Callbacks (`onPrimary`, `onSecondary`, `onExit`) and the matching events
 * run one at a time, in order: `onSecondary` of a tenure has returned
 * (its promise settled) before this node's next `onPrimary` starts.
 * `onPrimary` may run for the whole tenure; it must return once its
 * `signal` aborts, which happens as soon as the backend can no longer prove
 * this node holds the role.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { BadArgumentsError, HerdError, InvalidStateError, SessionLostError } from '../errors.js';
import type { ClusterBackend, ClusterMember, ClusterView, JsonValue, PrimaryInfo } from './backend.js';
import { checkDuration, createBackend } from './create-backend.js';
import { NotMemberError } from './errors.js';
import type {
  ClusterCloseOptions,
  ClusterNodeEvents,
  ExitInfo,
  JoinClusterOptions,
  MembersChange,
  PrimaryContext,
  SecondaryContext,
  VersionPolicy,
} from './node-types.js';
import { compareVersions, parseVersion } from './version.js';

const NAME = /^[A-Za-z0-9._-]+$/;

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name === '.' || name === '..') {
    throw new BadArgumentsError(`invalid ${what} ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  }
  return name;
}

const DEFAULT_LEAVE_TIMEOUT = 30_000;

/**
 * Joins a cluster: publishes this node as a member and starts following the
 * cluster. Resolves with the started node once it is a member and has seen
 * the cluster; end it with {@link ClusterNode.close}.
 *
 * Rejects with {@link BadArgumentsError} for a bad cluster name, identifier,
 * backend or other option (before any I/O), `InvalidVersionError` (a
 * BadArgumentsError) for a version that is not semver,
 * `DuplicateMemberError` when a live member has this `identifier`,
 * `BackendUnavailableError` (sharedFs) or the client's error (coordination)
 * when the store cannot be reached.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterNode> {
  const node = new ClusterNode(options);
  await node.start();
  return node;
}

type NodeState = 'idle' | 'joined' | 'leaving' | 'left';

/**
 * This process as a member of a cluster (see the file comment for the
 * policy). {@link joinCluster} is `new ClusterNode(options)` followed by
 * `await node.start()`; the node ends with {@link ClusterNode.close} (also
 * `await using`).
 */
export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  /** The cluster's name. */
  readonly cluster: string;
  /** This member's `identifier`. */
  readonly identifier: string;
  /** This node's version. */
  readonly version: string;
  private readonly options: JoinClusterOptions;
  private readonly backend: ClusterBackend;
  private readonly policy: VersionPolicy;
  private self: ClusterMember;
  private state: NodeState = 'idle';
  private view: ClusterView = { members: [], primary: null };
  private tenure: { epoch: number; controller: AbortController } | undefined;
  private candidate = false;
  private candidacy: Promise<void> = Promise.resolve();
  private callbacks: Promise<void> = Promise.resolve();
  private superseded = false;
  private closing: Promise<void> | undefined;
  private viewWaiters = new Set<() => void>();

  /**
   * Checks the options and builds the backend; no I/O (joins with
   * {@link ClusterNode.start}). Throws {@link BadArgumentsError} (or
   * `InvalidVersionError`) for options that cannot work.
   */
  constructor(options: JoinClusterOptions) {
    super();
    this.options = options;
    this.cluster = checkName('cluster name', options.cluster);
    this.identifier = checkName('identifier', options.identifier ?? `${hostname()}-${process.pid}`);
    this.version = options.version ?? '0.0.0';
    parseVersion(this.version);
    this.policy = options.versionPolicy ?? 'exit-on-newer';
    if (this.policy !== 'exit-on-newer' && this.policy !== 'ignore') throw new BadArgumentsError(`unknown versionPolicy ${JSON.stringify(this.policy)}`);
    checkDuration('leaveTimeout', options.leaveTimeout);
    this.self = { identifier: this.identifier, address: options.address ?? '', version: this.version, data: options.data ?? null, joinedAt: 0 };
    this.backend = createBackend(this.cluster, options.backend, options);
  }

  /** Live members, this node included, sorted by `identifier`. */
  members(): ClusterMember[] {
    return [...this.view.members];
  }

  /** The cluster's current primary, or null while there is none. */
  primary(): PrimaryInfo | null {
    return this.view.primary;
  }

  /** True while this node holds the primary role. */
  get isPrimary(): boolean {
    return this.tenure !== undefined;
  }

  /** The fencing epoch of this node's tenure while it is primary, else undefined. */
  get epoch(): number | undefined {
    return this.tenure?.epoch;
  }

  /** True once the node has left the cluster (closed, or superseded), or while it leaves. */
  get hasLeft(): boolean {
    return this.state === 'leaving' || this.state === 'left';
  }

  /**
   * Joins (once): resolves when this node is a member and has seen the
   * cluster. Rejects with {@link InvalidStateError} when called again (or
   * after close), and as {@link joinCluster} says otherwise.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new InvalidStateError(`cluster ${this.cluster}: node ${this.identifier} already ${this.state}`);
    this.state = 'joined';
    this.self = { ...this.self, joinedAt: Date.now() };
    this.backend.on('view', this.onView);
    this.backend.on('elected', this.onElected);
    this.backend.on('deposed', this.onDeposed);
    this.backend.on('degraded', this.onDegraded);
    this.backend.on('recovered', this.onRecovered);
    try {
      await this.backend.start(this.self);
    } catch (error) {
      this.state = 'left';
      this.detach();
      throw error;
    }
    this.applyPolicy();
  }

  /**
   * Replaces the data this node publishes to the members. Rejects with
   * {@link NotMemberError} unless the node has joined and is not leaving.
   */
  async publish(data: JsonValue): Promise<void> {
    if (this.state !== 'joined') throw new NotMemberError(`cluster ${this.cluster}: node ${this.identifier} is not a member (${this.state})`);
    this.self = { ...this.self, data };
    await this.backend.publish(data);
  }

  /**
   * Leaves the cluster gracefully and releases everything: gives up the
   * primary role first (the tenure's signal aborts, running callbacks
   * finish, `onSecondary` runs, then a successor of the same version is
   * elected while this node is still a member), then leaves. Past `timeout`
   * (default `leaveTimeout`, 30000 ms) it stops waiting for callbacks or a
   * successor and leaves anyway; it does not reject for that.
   *
   * Idempotent: later calls return the first call's promise. Rejects with
   * {@link BadArgumentsError} only for a `timeout` that is not a number of
   * ms, 0 or more.
   */
  close(options: ClusterCloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    try {
      checkDuration('close timeout', options.timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    this.closing = this.leaveCluster(options.timeout ?? this.options.leaveTimeout ?? DEFAULT_LEAVE_TIMEOUT);
    return this.closing;
  }

  /** `await using node = await joinCluster(...)`: {@link ClusterNode.close} with the default timeout. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- backend events --------------------------------------------------------------

  private readonly onView = (view: ClusterView): void => {
    const before = this.view;
    this.view = view;
    const change = diffMembers(before.members, view.members);
    if (change !== undefined) this.emit('members', change);
    const previous = before.primary;
    const primary = view.primary;
    if (previous?.identifier !== primary?.identifier || previous?.epoch !== primary?.epoch) this.emit('primaryChanged', { primary, previous });
    for (const w of this.viewWaiters) w();
    if (this.state === 'joined') this.applyPolicy();
  };

  private readonly onElected = (info: PrimaryInfo): void => {
    if (this.state !== 'joined' || !this.candidate || this.tenure !== undefined) return;
    const controller = new AbortController();
    this.tenure = { epoch: info.epoch, controller };
    const context: PrimaryContext = { epoch: info.epoch, signal: controller.signal };
    this.enqueue(async () => {
      this.emit('primary', context);
      await this.options.onPrimary?.(context);
    });
  };

  private readonly onDeposed = (reason: string): void => this.endTenure(reason);
  private readonly onDegraded = (error: Error): void => void this.emit('degraded', error);
  private readonly onRecovered = (): void => void this.emit('recovered');

  // ---- policy ----------------------------------------------------------------------

  private applyPolicy(): void {
    if (this.state !== 'joined' || this.superseded) return;
    const me = this.view.members.find((m) => m.identifier === this.identifier);
    if (me === undefined) return;
    let newest: ClusterMember | undefined;
    for (const m of this.view.members) {
      try {
        if (newest === undefined || compareVersions(m.version, newest.version) > 0) newest = m;
      } catch {
        // A member with an unparsable version does not take part in the policy.
      }
    }
    const outranked = newest !== undefined && compareVersions(newest.version, this.version) > 0;
    if (outranked && this.policy === 'exit-on-newer') {
      this.superseded = true;
      const by = newest!;
      void this.close().then(() => {
        const info: ExitInfo = { reason: 'superseded', by };
        this.emit('exit', info);
        return this.options.onExit?.(info);
      }).catch((error: unknown) => this.reportCallbackError(error));
      return;
    }
    this.setCandidate(!outranked);
  }

  /** Changes candidacy in order; a primary that stops being a candidate finishes its onSecondary before the role is freed. */
  private setCandidate(candidate: boolean): Promise<void> {
    if (candidate === this.candidate) return this.candidacy;
    this.candidate = candidate;
    if (!candidate) this.endTenure('resigned: a member of a higher version joined');
    const step = async (): Promise<void> => {
      if (!candidate) await this.callbacks;
      await this.backend.setCandidate(candidate);
    };
    this.candidacy = this.candidacy.then(step, step);
    return this.candidacy;
  }

  private endTenure(reason: string): void {
    const tenure = this.tenure;
    if (tenure === undefined) return;
    this.tenure = undefined;
    tenure.controller.abort(new SessionLostError(`cluster ${this.cluster}: primary role of ${this.identifier} (epoch ${tenure.epoch}) ended: ${reason}`));
    const context: SecondaryContext = { epoch: tenure.epoch, reason };
    this.enqueue(async () => {
      this.emit('secondary', context);
      await this.options.onSecondary?.(context);
    });
  }

  private enqueue(fn: () => Promise<void>): void {
    this.callbacks = this.callbacks.then(fn).catch((error: unknown) => this.reportCallbackError(error));
  }

  private reportCallbackError(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    this.emit('error', error instanceof Error ? error : new HerdError('CALLBACK_FAILED', `cluster ${this.cluster}: a callback threw ${String(error)}`, { cause: error }));
  }

  // ---- leaving ---------------------------------------------------------------------

  private async leaveCluster(timeout: number): Promise<void> {
    if (this.state === 'idle' || this.state === 'left') {
      this.state = 'left';
      return;
    }
    this.state = 'leaving';
    const deadline = Date.now() + timeout;
    const graceful = async (): Promise<void> => {
      // End the tenure first: an onPrimary that runs for the whole tenure returns when its signal aborts.
      const wasPrimary = this.tenure !== undefined;
      this.candidate = false;
      this.endTenure('leaving');
      await this.callbacks;
      await this.candidacy;
      await this.backend.setCandidate(false);
      if (wasPrimary) await this.waitForSuccessor(deadline);
    };
    await withDeadline(graceful(), deadline);
    // Past the deadline a tenure may still be open: end it before the role goes with us.
    this.endTenure('left');
    await withDeadline(this.backend.close(), Math.max(deadline, Date.now() + 1000));
    this.state = 'left';
    this.detach();
    await withDeadline(this.callbacks, Math.max(deadline, Date.now() + 1000));
  }

  /**
   * After resigning: until another member is primary, or no other member can
   * be while this node is still a member. Only members of this node's
   * version are candidates now; lower versions run once this node is gone.
   */
  private async waitForSuccessor(deadline: number): Promise<void> {
    for (;;) {
      const peers = this.view.members.filter((m) => m.identifier !== this.identifier && sameVersion(m.version, this.version));
      const p = this.view.primary;
      if (peers.length === 0 || (p !== null && p.identifier !== this.identifier)) return;
      if (Date.now() >= deadline) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.viewWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, delayUntil(deadline));
        this.viewWaiters.add(done);
      });
    }
  }

  private detach(): void {
    this.backend.off('view', this.onView);
    this.backend.off('elected', this.onElected);
    this.backend.off('deposed', this.onDeposed);
    this.backend.off('degraded', this.onDegraded);
    this.backend.off('recovered', this.onRecovered);
    for (const w of this.viewWaiters) w();
  }
}

function withDeadline(p: Promise<unknown>, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, delayUntil(deadline));
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** ms until `deadline`, within what setTimeout takes (longer delays would fire at once). */
function delayUntil(deadline: number): number {
  return Math.min(Math.max(0, deadline - Date.now()), 2 ** 31 - 1);
}

function sameVersion(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) === 0;
  } catch {
    return false;
  }
}

function memberKey(m: ClusterMember): string {
  return JSON.stringify([m.address, m.version, m.data, m.joinedAt]);
}

/** What changed between two member lists (undefined when nothing did). */
export function diffMembers(before: readonly ClusterMember[], after: readonly ClusterMember[]): MembersChange | undefined {
  const old = new Map(before.map((m) => [m.identifier, m]));
  const now = new Map(after.map((m) => [m.identifier, m]));
  const joined = after.filter((m) => !old.has(m.identifier));
  const left = before.filter((m) => !now.has(m.identifier));
  const updated = after.filter((m) => old.has(m.identifier) && memberKey(old.get(m.identifier)!) !== memberKey(m));
  if (joined.length === 0 && left.length === 0 && updated.length === 0) return undefined;
  return { members: after, joined, left, updated };
}
