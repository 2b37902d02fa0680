/**
 * A cluster node: this process as a member of a named cluster, with the
 * policy on top of a {@link ClusterBackend}: which members run for primary,
 * when a node must exit, and the order of the callbacks.
 *
 * Usage:
 * ```ts
 * const node = await joinCluster({
 *   cluster: 'billing',
 *   address: '10.0.0.5:7000',
 *   version: '1.4.0',
 *   backend: { coordination: 'localhost:2181/herd' },
 *   onPrimary: ({ epoch, signal }) => startJobs(epoch, signal),
 *   onSecondary: () => stopJobs(),
 *   onExit: () => process.exit(0),
 * });
 * node.on('members', ({ joined, left }) => ...);
 * await node.leave();
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
import type { ClusterBackend, ClusterMember, ClusterView, JsonValue, PrimaryInfo } from './backend.js';
import { createBackend, type BackendSpec, type HeartbeatTuning } from './create-backend.js';
import { ClusterConfigError, ClusterError, NotMemberError } from './errors.js';
import { compareVersions, parseVersion } from './version.js';

/** What a node does when a member of a higher version is in the cluster. */
export type VersionPolicy = 'exit-on-newer' | 'ignore';

/** Given to `onPrimary` and the `primary` event. */
export interface PrimaryContext {
  /** The fencing epoch of this tenure: greater than every earlier tenure's in the cluster. */
  readonly epoch: number;
  /** Aborted when the tenure ends (resigned, deposed, left). */
  readonly signal: AbortSignal;
}

/** Given to `onSecondary` and the `secondary` event: a tenure of this node ended. */
export interface SecondaryContext {
  /** The epoch of the tenure that ended. */
  readonly epoch: number;
  /** Why it ended (resigned, session expired, disconnected, ...). */
  readonly reason: string;
}

/** Why a node left the cluster by itself. */
export interface ExitInfo {
  readonly reason: 'superseded';
  /** The member of a higher version that superseded this node. */
  readonly by: ClusterMember;
}

/** The `members` event: the full list and what changed. */
export interface MembersChange {
  readonly members: readonly ClusterMember[];
  readonly joined: readonly ClusterMember[];
  readonly left: readonly ClusterMember[];
  /** Members whose address, version or data changed. */
  readonly updated: readonly ClusterMember[];
}

/** Options of {@link joinCluster}. */
export interface JoinClusterOptions extends HeartbeatTuning {
  /** The cluster's name (letters, digits, `.`, `_`, `-`). */
  readonly cluster: string;
  /** This node's unique name. Default `<hostname>-<pid>`. */
  readonly node?: string;
  /** How other members reach this node. Default ''. */
  readonly address?: string;
  /** This node's semver version. Default '0.0.0'. */
  readonly version?: string;
  /** Application data published to the members. Default null. */
  readonly data?: JsonValue;
  /** Where membership is kept. */
  readonly backend: BackendSpec;
  /** Default 'exit-on-newer'. */
  readonly versionPolicy?: VersionPolicy;
  /** Bound of {@link ClusterNode.leave} (and of a superseded node's leave), in ms. Default 30000. */
  readonly leaveTimeoutMs?: number;
  /** This node became primary. */
  readonly onPrimary?: (context: PrimaryContext) => void | Promise<void>;
  /** This node's tenure as primary ended. */
  readonly onSecondary?: (context: SecondaryContext) => void | Promise<void>;
  /** This node left because a member of a higher version joined (exit-on-newer). */
  readonly onExit?: (info: ExitInfo) => void | Promise<void>;
}

export interface ClusterNodeEvents {
  members: [MembersChange];
  primary: [PrimaryContext];
  secondary: [SecondaryContext];
  /** The cluster's primary changed (null while there is none), on every node. */
  primaryChanged: [primary: PrimaryInfo | null, previous: PrimaryInfo | null];
  exit: [ExitInfo];
  /** The backend cannot reach its store: the view is frozen, no promotions. */
  degraded: [Error];
  recovered: [];
  /** A callback threw (only emitted when someone listens). */
  error: [Error];
}

const NAME = /^[A-Za-z0-9._-]+$/;

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name === '.' || name === '..') {
    throw new ClusterConfigError(`invalid ${what} name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  }
  return name;
}

/**
 * Joins a cluster: publishes this node as a member and starts following the
 * cluster. Resolves once this node is a member and has seen the cluster.
 * Rejects with {@link DuplicateNodeError} when a live member has its name.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterNode> {
  const node = new ClusterNode(options);
  await node.start();
  return node;
}

type NodeState = 'idle' | 'joined' | 'leaving' | 'left';

export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  /** The cluster's name. */
  readonly cluster: string;
  /** This node's name. */
  readonly name: string;
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
  private stopping: Promise<void> | undefined;
  private viewWaiters = new Set<() => void>();

  /** Prefer {@link joinCluster}; a node made here joins with {@link ClusterNode.start}. */
  constructor(options: JoinClusterOptions) {
    super();
    this.options = options;
    this.cluster = checkName('cluster', options.cluster);
    this.name = checkName('node', options.node ?? `${hostname()}-${process.pid}`);
    this.version = options.version ?? '0.0.0';
    parseVersion(this.version);
    this.policy = options.versionPolicy ?? 'exit-on-newer';
    if (this.policy !== 'exit-on-newer' && this.policy !== 'ignore') throw new ClusterConfigError(`unknown versionPolicy ${JSON.stringify(this.policy)}`);
    this.self = { name: this.name, address: options.address ?? '', version: this.version, data: options.data ?? null, joinedAt: 0 };
    this.backend = createBackend(this.cluster, options.backend, options);
  }

  /** Live members, this node included, sorted by name. */
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

  /** True once the node has left (or while it leaves). */
  get hasLeft(): boolean {
    return this.state === 'leaving' || this.state === 'left';
  }

  /** Joins (once). */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new ClusterError(`node already ${this.state}`);
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

  /** Replaces the data this node publishes to the members. */
  async publish(data: JsonValue): Promise<void> {
    if (this.state !== 'joined') throw new NotMemberError(`node ${this.name} is not a member`);
    this.self = { ...this.self, data };
    await this.backend.publish(data);
  }

  /**
   * Leaves gracefully: gives up the primary role first (the tenure's
   * signal aborts, running callbacks finish, `onSecondary` runs, then a
   * successor of the same version is elected while this node is still a
   * member), then leaves. Bounded by `leaveTimeoutMs`.
   */
  leave(): Promise<void> {
    return this.stop(this.options.leaveTimeoutMs ?? 30_000);
  }

  /**
   * As {@link leave}, bounded by `timeoutMs`: past it, the node leaves
   * without waiting any more for callbacks or a successor.
   */
  stop(timeoutMs: number): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  // ---- backend events --------------------------------------------------------------

  private readonly onView = (view: ClusterView): void => {
    const before = this.view;
    this.view = view;
    const change = diffMembers(before.members, view.members);
    if (change !== undefined) this.emit('members', change);
    const a = before.primary;
    const b = view.primary;
    if (a?.name !== b?.name || a?.epoch !== b?.epoch) this.emit('primaryChanged', b, a);
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
    const me = this.view.members.find((m) => m.name === this.name);
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
      void this.stop(this.options.leaveTimeoutMs ?? 30_000).then(() => {
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
    tenure.controller.abort(new ClusterError(`primary role ended: ${reason}`));
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
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new ClusterError(String(error)));
  }

  // ---- leaving ---------------------------------------------------------------------

  private async doStop(timeoutMs: number): Promise<void> {
    if (this.state === 'idle' || this.state === 'left') {
      this.state = 'left';
      return;
    }
    this.state = 'leaving';
    const deadline = Date.now() + Math.max(0, timeoutMs);
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
      const peers = this.view.members.filter((m) => m.name !== this.name && sameVersion(m.version, this.version));
      const p = this.view.primary;
      if (peers.length === 0 || (p !== null && p.name !== this.name)) return;
      if (Date.now() >= deadline) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.viewWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
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
    const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
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
  const old = new Map(before.map((m) => [m.name, m]));
  const now = new Map(after.map((m) => [m.name, m]));
  const joined = after.filter((m) => !old.has(m.name));
  const left = before.filter((m) => !now.has(m.name));
  const updated = after.filter((m) => old.has(m.name) && memberKey(old.get(m.name)!) !== memberKey(m));
  if (joined.length === 0 && left.length === 0 && updated.length === 0) return undefined;
  return { members: after, joined, left, updated };
}
