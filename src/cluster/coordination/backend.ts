/**
 * The coordination backend: cluster membership and the primary role on a
 * ZooKeeper-compatible service (Herd's server or a ZooKeeper ensemble),
 * through Herd's client. Node layout and the fencing epoch: see
 * ./layout.ts.
 *
 * Usage (normally through `joinCluster`, which owns the policy):
 * ```ts
 * const backend = new CoordinationBackend({ cluster: 'billing', coordination: 'localhost:2181/herd' });
 * backend.on('view', (view) => ...);
 * await backend.start(self);
 * await backend.setCandidate(true);   // 'elected' once this node's contender is the lowest
 * ```
 *
 * Liveness is the session: a member's node goes when its session ends
 * (closed, or expired by the server after the session timeout without a
 * heartbeat, e.g. after SIGKILL), which is when the others see it leave and
 * the next contender is elected.
 *
 * Failure handling:
 * - Connection lost (suspended): `degraded` at once; the view freezes, and
 *   no promotion can happen here (writes wait for the connection). The
 *   primary is `deposed` at once (by default; see `suspendedTimeout`):
 *   the client notices a silent server up to two thirds of the session
 *   timeout after it last heard from it (its read timeout), and the server
 *   expires the session no sooner than a full timeout after that, so a
 *   third of the timeout is all the margin there is before another node
 *   can be elected, and a stalled event loop eats into it. Waiting for the
 *   session timeout after noticing (as Curator's session-based policy
 *   does) would leave two primaries for up to two thirds of the timeout.
 * - Reconnected with the same session: `recovered` and a fresh view. A
 *   primary deposed meanwhile whose contender is still the lowest starts a
 *   new tenure with a new epoch (the old one may have been fenced), so a
 *   connection blip costs a tenure change but never a second primary.
 * - Session expired: `deposed` at once if primary, `degraded`; then a new
 *   session is started and the node rejoins by itself (member node, and a
 *   new contender at the back of the line), then `recovered`.
 * - Connection loss during a create: the member node is recognised by its
 *   ephemeral owner, a contender by its uuid prefix; never created twice.
 * - Our member or contender node deleted by someone else: created again.
 *
 * Limits: every change under `/<cluster>` (a member joining, publishing,
 * leaving) makes every member re-read the cluster, O(members) reads each:
 * right for tens of members, not for thousands. A member whose identifier
 * is taken by another live session is refused at join
 * ({@link DuplicateMemberError}); at a rejoin after expiry the backend stays
 * `degraded` and retries every second until the identifier is free.
 */
import { EventEmitter } from 'node:events';
import { createClient, op, isTransactionError, type Client, type StateChange } from '../../client/index.js';
import { isTransientError } from '../../client/retry.js';
import { InvalidStateError, NoNodeError, NodeExistsError, RuntimeInconsistencyError } from '../../errors.js';
import { createOwnEphemeral, deleteIfExists, ensurePath, isSessionGone, onSessionEvents, retryWhileConnected, uuidHex } from '../../recipes/internal/index.js';
import type { ClusterBackend, ClusterBackendEvents, ClusterMember, ClusterView, JsonValue } from '../backend.js';
import { BackendUnavailableError, DuplicateMemberError, NotMemberError } from '../errors.js';
import { ClusterPaths, encodeMember, readRawState, type EpochRecord } from './layout.js';

/** Options of {@link CoordinationBackend}. */
export interface CoordinationBackendOptions {
  /** The cluster's name: the top-level node under the connection's chroot. */
  readonly cluster: string;
  /**
   * A connection string (`host:port,.../chroot`: the backend creates, owns
   * and closes its client) or an existing client (left open by `close`).
   */
  readonly coordination: string | Client;
  /** Session timeout asked for by a client the backend creates, in ms. Default {@link DEFAULT_SESSION_TIMEOUT}. */
  readonly sessionTimeout?: number;
  /**
   * How long the primary keeps its role while disconnected, in ms. Default
   * 0: deposed as soon as the connection is lost (see the file comment).
   * Values up to a third of the session timeout keep at most one primary
   * when the event loop runs on time; more trades that for fewer tenure
   * changes on connection blips.
   */
  readonly suspendedTimeout?: number;
}

/** Default session timeout of a client the backend creates, in ms. */
export const DEFAULT_SESSION_TIMEOUT = 10_000;

type BackendState = 'idle' | 'started' | 'closed';

/** A membership-and-primary backend on a ZooKeeper-compatible service (see the file comment). Used through `joinCluster`. */
export class CoordinationBackend extends EventEmitter<ClusterBackendEvents> implements ClusterBackend {
  readonly client: Client;
  readonly paths: ClusterPaths;
  private readonly ownsClient: boolean;
  private readonly suspendedTimeout: number | undefined;
  private state: BackendState = 'idle';
  private self: ClusterMember | undefined;
  private candidate = false;
  /** Our contender node name, while we have one in the current session. */
  private contender: string | undefined;
  private contenderPrefix = `${uuidHex()}-`;
  /** Our tenure, while we hold the role. */
  private tenure: { contender: string; epoch: number } | undefined;
  /** The session our member node belongs to (0n before joining or after expiry). */
  private sessionId = 0n;
  private degradedBy: Error | undefined;
  private lastViewKey: string | undefined;
  private suspendTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Every step that reads or writes our nodes runs in this order, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private refreshQueued = false;
  private dirty = false;
  private rejoining = false;
  private readonly connectionString: string | undefined;
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe: (() => void) | undefined;

  constructor(options: CoordinationBackendOptions) {
    super();
    this.paths = new ClusterPaths(options.cluster);
    this.suspendedTimeout = options.suspendedTimeout;
    if (typeof options.coordination === 'string') {
      this.client = createClient(options.coordination, {
        sessionTimeout: options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT,
        reconnectOnExpiry: true,
      });
      this.ownsClient = true;
      this.connectionString = options.coordination;
    } else {
      this.client = options.coordination;
      this.ownsClient = false;
    }
  }

  /** The current epoch while this node holds the role. */
  get epoch(): number | undefined {
    return this.tenure?.epoch;
  }

  async start(self: ClusterMember): Promise<void> {
    if (this.state !== 'idle') throw new InvalidStateError(`cluster ${this.paths.cluster}: coordination backend already ${this.state}`);
    this.state = 'started';
    this.self = self;
    this.unsubscribe = onSessionEvents(this.client, { disconnected: this.onDisconnected, connected: this.onConnected, expired: this.onExpired, closed: this.onClosed });
    try {
      if (this.client.state !== 'connected') await this.client.connect();
      await this.ensureChroot();
      await this.serial(() => this.join());
      await this.serial(() => this.refreshLoop());
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  async setCandidate(candidate: boolean): Promise<void> {
    if (this.state !== 'started') return;
    this.candidate = candidate;
    if (!candidate && this.tenure !== undefined) this.depose('resigned');
    return this.serial(async () => {
      if (this.state !== 'started') return;
      if (this.candidate) {
        if (this.contender === undefined && this.sessionId !== 0n && this.sessionId === this.client.sessionId) {
          this.contender = await this.createContender();
        }
        this.requestRefresh();
      } else if (this.contender !== undefined) {
        const node = this.contender;
        this.contender = undefined;
        if (!isSessionGone(this.client)) await deleteIfExists(this.client, this.paths.contender(node));
      }
    }).catch((error: unknown) => this.background(error));
  }

  async publish(data: JsonValue): Promise<void> {
    if (this.state !== 'started' || this.self === undefined) throw new NotMemberError(`cluster ${this.paths.cluster}: coordination backend is ${this.state}, not a member`);
    this.self = { ...this.self, data };
    const self = this.self;
    await this.serial(async () => {
      await retryWhileConnected(this.client, () => this.client.setData(this.paths.member(self.identifier), encodeMember(self)));
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    clearTimeout(this.suspendTimer);
    clearTimeout(this.retryTimer);
    if (this.tenure !== undefined) this.depose('left');
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.ownsClient) {
      // Closing the session deletes our contender and member nodes in one transaction.
      await this.client.close();
      return;
    }
    this.client.removeWatches(this.paths.root, 'any', { local: true, listener: this.onWatch }).catch(() => {});
    if (!wasStarted || isSessionGone(this.client)) return;
    const contender = this.contender;
    this.contender = undefined;
    if (contender !== undefined) await deleteIfExists(this.client, this.paths.contender(contender)).catch(() => {});
    if (this.self !== undefined && this.sessionId === this.client.sessionId) {
      await deleteIfExists(this.client, this.paths.member(this.self.identifier)).catch(() => {});
    }
  }

  // ---- joining --------------------------------------------------------------------

  /**
   * A chroot must exist before anything can be created under it: create it
   * (through a short-lived client without the chroot) when the connection
   * string we were given names a missing one.
   */
  private async ensureChroot(): Promise<void> {
    const chroot = this.client.chroot;
    if (this.connectionString === undefined || chroot === undefined || chroot === '/') return;
    if ((await retryWhileConnected(this.client, () => this.client.exists('/'))) !== null) return;
    const hosts = this.connectionString.slice(0, this.connectionString.indexOf('/'));
    const root = createClient(hosts, { sessionTimeout: DEFAULT_SESSION_TIMEOUT });
    try {
      await root.connect();
      await ensurePath(root, chroot);
    } finally {
      await root.close();
    }
  }

  /** Creates our nodes in the current session and starts watching the cluster. */
  private async join(): Promise<void> {
    const session = this.client.sessionId;
    await ensurePath(this.client, this.paths.members);
    await ensurePath(this.client, this.paths.primary);
    try {
      await retryWhileConnected(this.client, () => this.client.create(this.paths.epoch));
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
    await this.createMember();
    await retryWhileConnected(this.client, () => this.client.addWatch(this.paths.root, 'persistentRecursive', this.onWatch));
    this.sessionId = session;
    this.contender = undefined;
    this.contenderPrefix = `${uuidHex()}-`;
    if (this.candidate) this.contender = await this.createContender();
    this.dirty = true;
  }

  /** Creates our member node; after a connection loss, recognises it by its ephemeral owner. */
  private async createMember(): Promise<void> {
    const self = this.self!;
    const path = this.paths.member(self.identifier);
    if ((await createOwnEphemeral(this.client, path, encodeMember(self))) !== undefined) {
      throw new DuplicateMemberError(`cluster ${this.paths.cluster}: a live member is already named ${JSON.stringify(self.identifier)}`, { path });
    }
  }

  /** Creates our contender node; after a connection loss, finds it by our unique prefix first. */
  private async createContender(): Promise<string> {
    let look = false;
    for (;;) {
      if (look) {
        const children = (await retryWhileConnected(this.client, () => this.client.getChildren(this.paths.primary))) as string[];
        const found = children.find((c) => c.startsWith(this.contenderPrefix));
        if (found !== undefined) return found;
      }
      look = true;
      try {
        const created = await this.client.create(this.paths.contender(this.contenderPrefix), this.self!.identifier, { mode: 'ephemeralSequential' });
        return created.slice(created.lastIndexOf('/') + 1);
      } catch (error) {
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.paths.primary);
          look = false;
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  // ---- observing -------------------------------------------------------------------

  private readonly onWatch = (): void => this.requestRefresh();

  /** Schedules a refresh; several requests while one is queued make one. */
  private requestRefresh(): void {
    if (this.state !== 'started') return;
    this.dirty = true;
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    this.serial(async () => {
      this.refreshQueued = false;
      await this.refreshLoop();
    }).catch((error: unknown) => this.background(error));
  }

  private async refreshLoop(): Promise<void> {
    while (this.dirty && this.state === 'started') {
      this.dirty = false;
      await this.refresh();
    }
  }

  /** Reads the cluster, fixes our own nodes, takes the role when entitled, emits the view. */
  private async refresh(): Promise<void> {
    if (this.sessionId === 0n || this.sessionId !== this.client.sessionId) return;
    const raw = await readRawState(this.client, this.paths);
    if (this.state !== 'started' || this.sessionId !== this.client.sessionId) return;
    const self = this.self!;
    if (!raw.memberNames.includes(self.identifier)) {
      // Deleted by someone else while our session lives: publish ourselves again.
      await this.createMember();
      this.dirty = true;
      return;
    }
    if (this.tenure !== undefined && raw.lowest !== this.tenure.contender) this.depose('contender node no longer first in line');
    if (this.candidate && this.contender !== undefined && raw.lowest === undefined) {
      // Our contender was deleted by someone else: run again.
      this.contender = await this.createContender();
      this.dirty = true;
      return;
    }
    if (this.candidate && this.contender !== undefined && raw.lowest === this.contender && this.tenure === undefined && this.client.state === 'connected') {
      if (await this.beginTenure(this.contender)) return;
    }
    if (this.client.state !== 'connected') return;
    if (this.degradedBy !== undefined) {
      this.degradedBy = undefined;
      this.lastViewKey = undefined;
      this.emit('recovered');
    }
    this.emitView(raw.view);
  }

  /**
   * Starts a tenure: one transaction checks that our contender still exists
   * and bumps the epoch node. True when it committed (a refresh follows).
   */
  private async beginTenure(contender: string): Promise<boolean> {
    const since = Date.now();
    const record: EpochRecord = { identifier: this.self!.identifier, contender, since };
    let epoch: number;
    try {
      const results = await this.client.multi([op.check(this.paths.contender(contender), -1), op.setData(this.paths.epoch, JSON.stringify(record))]);
      const set = results[1];
      if (set?.type !== 'setData') throw new RuntimeInconsistencyError(`unexpected result of the tenure transaction: ${set?.type ?? 'none'}`, { path: this.paths.epoch });
      epoch = set.stat.version;
    } catch (error) {
      // Our contender is gone (resigned, or deleted): the next refresh sees who is first.
      if (isTransactionError(error) || error instanceof NoNodeError) {
        this.dirty = true;
        return true;
      }
      // Unknown outcome: a refresh will see our record and begin a new tenure
      // (a second bump of the epoch is harmless: it only has to increase).
      if (isTransientError(error)) {
        this.dirty = true;
        return true;
      }
      throw error;
    }
    this.dirty = true;
    if (this.state !== 'started' || !this.candidate || this.contender !== contender) return true;
    this.tenure = { contender, epoch };
    this.emit('elected', { identifier: this.self!.identifier, epoch, since });
    return true;
  }

  private emitView(view: ClusterView): void {
    const key = JSON.stringify(view);
    if (key === this.lastViewKey) return;
    this.lastViewKey = key;
    this.emit('view', view);
  }

  // ---- session ---------------------------------------------------------------------

  private depose(reason: string): void {
    if (this.tenure === undefined) return;
    this.tenure = undefined;
    this.emit('deposed', reason);
  }

  private degrade(error: Error): void {
    if (this.state !== 'started' || this.degradedBy !== undefined) return;
    this.degradedBy = error;
    this.emit('degraded', error);
  }

  private readonly onDisconnected = (change: StateChange): void => {
    if (this.state !== 'started') return;
    this.degrade(new BackendUnavailableError('connection to the coordination service lost', { cause: change.reason }));
    clearTimeout(this.suspendTimer);
    const ms = this.suspendedTimeout ?? 0;
    if (ms <= 0) {
      this.depose('disconnected from the coordination service: the role can no longer be proven');
      return;
    }
    this.suspendTimer = setTimeout(() => this.depose(`disconnected for ${ms} ms: the session may expire before we hear from the service`), ms);
  };

  private readonly onConnected = (): void => {
    clearTimeout(this.suspendTimer);
    if (this.state !== 'started') return;
    if (this.sessionId !== 0n && this.client.sessionId === this.sessionId) {
      this.requestRefresh();
      return;
    }
    this.rejoin();
  };

  private readonly onExpired = (change: StateChange): void => {
    clearTimeout(this.suspendTimer);
    if (this.state !== 'started') return;
    this.depose('session expired');
    this.sessionId = 0n;
    this.contender = undefined;
    this.degrade(new BackendUnavailableError('session expired', { cause: change.reason }));
    if (!this.ownsClient) {
      // A client we do not own may not start new sessions by itself.
      setImmediate(() => {
        if (this.state === 'started' && this.client.state === 'expired') this.client.connect().catch(() => {});
      });
    }
  };

  private readonly onClosed = (): void => {
    clearTimeout(this.suspendTimer);
    if (this.state !== 'started') return;
    this.depose('client closed');
    this.sessionId = 0n;
    this.degrade(new BackendUnavailableError('the coordination client was closed'));
  };

  /** A new session: publish ourselves again, run again if candidate. */
  private rejoin(): void {
    if (this.rejoining || this.state !== 'started') return;
    this.rejoining = true;
    this.serial(async () => {
      try {
        if (this.state !== 'started' || this.client.sessionId === this.sessionId) return;
        await this.join();
        await this.refreshLoop();
      } finally {
        this.rejoining = false;
      }
    }).catch((error: unknown) => {
      if (this.state !== 'started') return;
      if (error instanceof DuplicateMemberError && !(this.degradedBy instanceof DuplicateMemberError)) {
        this.degradedBy = error;
        this.emit('degraded', error);
      }
      this.background(error);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (this.client.state === 'connected' && this.client.sessionId !== this.sessionId) this.rejoin();
      }, 1000);
    });
  }

  /** A background step failed: session problems are handled by the state events; others are retried. */
  private background(error: unknown): void {
    if (this.state !== 'started' || isSessionGone(this.client)) return;
    if (isTransientError(error) || error instanceof DuplicateMemberError) return;
    this.degrade(error instanceof Error ? error : new BackendUnavailableError(`cluster ${this.paths.cluster}: ${String(error)}`, { cause: error }));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.requestRefresh(), 1000);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

