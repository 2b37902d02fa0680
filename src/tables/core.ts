/**
 * What the parts of one tables node share (tables.ts is the facade; the
 * transaction path, the log follower, membership and the local reader each
 * hold this object): the applied state and everything that moves with it,
 * the node's identity, and the flags that decide whether it serves reads.
 */
import type { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Client } from '../client/index.js';
import type { ClusterNode } from '../cluster/index.js';
import { AppliedPosition } from './applied.js';
import { ChangeFeed } from './changes.js';
import { BadArgumentsError, type DivergedError, InvalidStateError } from './errors.js';
import { LocalReader } from './local-reads.js';
import { posKey, type TablesEvents } from './node-types.js';
import type { OpenTablesOptions } from './options.js';
import type { ApplyResult } from './state/apply.js';
import { comparePosition, TablesState, type Position } from './state/store.js';
import { SnapshotKeeper } from './snapshots/keeper.js';
import { resolveSnapshotOptions } from './snapshots/options.js';
import { Truncator } from './snapshots/truncation.js';
import { TablesHosting } from './hosting/hosting.js';
import { defaultIdentifier } from '../recipes/internal/index.js';

/** How many applied positions keep their checksum, for the comparison with the primary's. */
const CHECKSUM_HISTORY = 256;
/**
 * How many applied transaction ids the primary remembers to drop a resend
 * of one it already has: a resend follows its primary's loss within the
 * forwarder's timeout, so this covers seconds of the heaviest load measured
 * (bench/tables.ts: a few thousand transactions/s) many times over.
 */
const RECENT_IDS = 50_000;

/** A bounded map of the most recently applied transaction ids to their positions, oldest dropped first. */
export class RecentIds {
  private readonly ids = new Map<string, Position>();

  constructor(private readonly limit: number) {}

  add(id: string, position: Position): void {
    this.ids.set(id, position);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.keys().next().value!);
  }

  /** The position `id` was applied at, if it is among the recent ones. */
  get(id: string): Position | undefined {
    return this.ids.get(id);
  }

  clear(): void {
    this.ids.clear();
  }
}

/** The shared state of one tables node. */
export class NodeCore {
  /** This node's copy; replaced (never mutated into another) when a snapshot is loaded. */
  state: TablesState;
  readonly client: Client;
  readonly name: string;
  readonly identifier: string;
  readonly weight: number;
  /** The log's and the cluster's name: `tables.<name>`. */
  readonly logName: string;
  /** Distinguishes this process's transaction ids from a previous process's with the same identifier. */
  readonly boot = randomUUID().slice(0, 8);
  readonly applied: AppliedPosition;
  readonly feed: ChangeFeed;
  readonly reader: LocalReader;
  readonly keeper: SnapshotKeeper;
  readonly truncator: Truncator;
  /** The hosted log storage node, the log's default quorums and TLS between nodes (src/tables/hosting). */
  readonly hosting: TablesHosting;
  /** The checksum after each recent applied position (`posKey`), oldest first. */
  readonly checksums = new Map<string, string>();
  /**
   * This node's transactions in flight, by id: null until their entry is
   * applied, 'unknown' when a snapshot load skipped the part of the log
   * where it would be (its outcome can no longer be seen here).
   */
  readonly pending = new Map<string, ApplyResult | null | 'unknown'>();
  /** The ids of recently applied entries and their positions: how the primary drops a resent duplicate. */
  readonly recentIds = new RecentIds(RECENT_IDS);
  /** Aborts on close: ends the follower, change streams and resync sleeps. */
  readonly stop = new AbortController();
  cluster!: ClusterNode;
  /** True while the connected weight is a quorum. */
  quorum = true;
  /** The newest log position this node has heard of, and since when it has been behind it (clock ms). */
  newest: Position | null = null;
  behindSince: number | undefined;
  private divergence: DivergedError | undefined;
  private isClosed = false;

  constructor(
    readonly options: OpenTablesOptions,
    readonly events: EventEmitter<TablesEvents>,
  ) {
    this.client = options.client;
    this.name = options.name;
    this.identifier = options.identifier ?? defaultIdentifier();
    this.weight = options.members?.[this.identifier] ?? options.weight ?? 1;
    if (options.members !== undefined && options.members[this.identifier] === undefined) {
      throw new BadArgumentsError(`openTables ${this.name}: ${this.identifier} is not among the declared members`);
    }
    this.logName = `tables.${this.name}`;
    this.state = new TablesState(options.tables);
    this.reader = new LocalReader(this);
    this.reader.refresh();
    this.applied = new AppliedPosition(this.client.clock);
    this.feed = new ChangeFeed(options.changeHistory ?? 10_000);
    const snapshots = resolveSnapshotOptions(options);
    const warn = (err: unknown): void => this.warn(err);
    this.keeper = new SnapshotKeeper({ name: this.name, clock: this.client.clock, definitions: options.tables, state: () => this.state, warn }, snapshots);
    this.truncator = new Truncator(this.client, this.name, snapshots.truncate, warn);
    this.hosting = new TablesHosting(options);
  }

  /** The error reads fail with while this node's copy is known to differ from the primary's. */
  get diverged(): DivergedError | undefined {
    return this.divergence;
  }

  /** Marks the copy diverged (reads refused) or, with undefined, trusted again. */
  setDiverged(error: DivergedError | undefined): void {
    this.divergence = error;
    this.reader.refresh();
  }

  /** True once close() began. */
  get closed(): boolean {
    return this.isClosed;
  }

  markClosed(): void {
    this.isClosed = true;
    this.reader.refresh();
  }

  /** Throws unless this node serves reads: InvalidStateError after close, DivergedError while resyncing. */
  checkServing(): void {
    if (this.isClosed) throw new InvalidStateError(`tables ${this.name}: closed`);
    if (this.divergence !== undefined) throw this.divergence;
  }

  /** Records the checksum of the position just applied. */
  recordChecksum(position: Position): void {
    this.checksums.set(posKey(position), this.state.checksum);
    if (this.checksums.size > CHECKSUM_HISTORY) this.checksums.delete(this.checksums.keys().next().value!);
  }

  /** Notes a position that exists in the log, for the staleness rule. */
  heard(position: Position | null): void {
    if (position !== null && (this.newest === null || comparePosition(position, this.newest) > 0)) this.newest = position;
    const behind = this.newest !== null && (this.state.position === null || comparePosition(this.state.position, this.newest) < 0);
    if (!behind) this.behindSince = undefined;
    else this.behindSince ??= this.client.clock.now();
  }

  /** Makes `state` (a loaded snapshot) this node's copy. */
  install(state: TablesState): void {
    this.state = state;
    this.reader.refresh();
    this.checksums.clear();
    if (state.position !== null) this.checksums.set(posKey(state.position), state.checksum);
    this.feed.reset(state.position);
    this.recentIds.clear();
    // The snapshot may hold the entry of a transaction still waiting here, but not its id: that outcome is lost to this node.
    for (const [id, result] of this.pending) if (result === null) this.pending.set(id, 'unknown');
    this.applied.advance(state.position, true);
  }

  /** Reports a failure no call can report, as a process warning. */
  warn(err: unknown): void {
    process.emitWarning(`tables ${this.name} (${this.identifier}): ${(err as Error)?.message ?? String(err)}`, 'HerdTablesWarning');
  }
}
