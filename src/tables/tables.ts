/**
 * A tables node: a full copy of a replicated in-memory database, committed
 * through Herd's log (docs/tables.md).
 *
 * Znodes (under the client's chroot):
 *   /herd/tables/<name>/weights/<identifier>   persistent, the node's weight (quorum.ts)
 *   the cluster `tables.<name>` (src/cluster)   members; data { weight, rpc, position, checksum, tail }
 *   /herd/log/logs/tables.<name>                the log (src/log), written by the primary only
 *   /herd/rpc/tables.<name>                     each node's rpc object, tagged with its identifier
 *   /herd/tables/<name>/truncated               the last log position removed by truncation (snapshots/truncation.ts)
 *
 * Failure handling: the cluster's primary is the log's single writer; a
 * new primary's openLog fences and recovers the previous writer's segment,
 * so every acknowledged entry stays and none is appended twice. A node
 * whose checksum at a position differs from the primary's stops serving
 * reads (DivergedError) and reloads the primary's snapshot over rpc.
 *
 * This file is the facade and the start/close sequence; the parts, which
 * share one NodeCore (core.ts): writes.ts (transactions, forwarding to the
 * primary, the primary's tenure), follower.ts (applying the log, resync),
 * membership.ts (join, published data, quorum, integrity), local-reads.ts.
 */
import { EventEmitter } from 'node:events';
import { Deadline } from '../base/wait.js';
import { serve, type Served } from '../rpc/index.js';
import type { ChangesOptions } from './changes.js';
import { NodeCore } from './core.js';
import { BadArgumentsError, InvalidStateError } from './errors.js';
import { Follower } from './follower.js';
import { Membership } from './membership.js';
import { anySignal, type TablesEvents } from './node-types.js';
import { checkOpenOptions, checkPosition, type LocalReads, type OpenTablesOptions, type ReadOptions, type TransactionOptions, type TransactionResult } from './options.js';
import type { Change } from './state/apply.js';
import type { Row, RowKey } from './state/codec.js';
import { checkIndex, checkKey, tableDefinition } from './state/definitions.js';
import { encodeSnapshot } from './state/snapshot.js';
import type { IndexQuery, Position } from './state/store.js';
import type { Transaction } from './transaction.js';
import type { SnapshotStatus } from './snapshots/keeper.js';
import { Writes } from './writes.js';

/**
 * A node of a tables cluster: from {@link openTables}. Reads come from this
 * node's copy; transactions go through the log; `close()` leaves the
 * cluster (handing the primary role over) and stops following the log.
 */
export class Tables extends EventEmitter<TablesEvents> implements AsyncDisposable {
  private readonly core: NodeCore;
  private readonly writes: Writes;
  private readonly follower: Follower;
  private readonly membership: Membership;
  private served!: Served;
  private closing: Promise<void> | undefined;
  private started = false;
  /** This node's identifier in the cluster. */
  readonly identifier: string;
  /** The tables cluster's name. */
  readonly name: string;
  /** This node's weight. */
  readonly weight: number;
  /** Synchronous reads of this node's copy, no promise: `db.local.get(table, key)`, `db.local.query(table, query)`; see {@link LocalReads}. */
  readonly local: LocalReads;

  /** Use {@link openTables}. */
  constructor(private readonly options: OpenTablesOptions) {
    super();
    checkOpenOptions(options);
    const core = (this.core = new NodeCore(options, this));
    this.identifier = core.identifier;
    this.name = core.name;
    this.weight = core.weight;
    this.local = core.reader;
    this.membership = new Membership(core, {
      address: () => this.served?.address ?? '',
      tail: () => this.writes.tail,
      lead: (signal) => this.writes.lead(signal),
      resync: (primary) => void this.follower.resync(primary),
    });
    this.writes = new Writes(core, () => this.membership.quorumInfo());
    this.follower = new Follower(core, (identifier) => this.writes.remoteOf(identifier));
  }

  /** What openTables calls: records the weight, serves rpc, joins the cluster, follows the log. Again: InvalidStateError. */
  async start(): Promise<void> {
    if (this.started) throw new InvalidStateError(`tables ${this.name}: start() was called already`);
    this.started = true;
    const core = this.core;
    await core.hosting.start();
    const fromFile = await core.keeper.loadFile();
    if (fromFile !== undefined) core.install(fromFile);
    await this.membership.loadWeights();
    this.served = await serve(this.core.client, core.logName, this.writes.service(async () => encodeSnapshot(core.state)), {
      expose: ['submit', 'tail', 'snapshot'],
      idempotent: ['tail', 'snapshot'],
      tags: { identifier: this.identifier },
      identifier: this.identifier,
      ...this.options.rpc,
      ...core.hosting.serveOptions(),
    });
    try {
      core.cluster = await this.membership.join();
    } catch (err) {
      await this.served.close();
      throw err;
    }
    await this.membership.start();
    void this.follower.follow();
    core.keeper.start();
  }

  // ---- reads ----

  /**
   * The row of `key` in `table`, or undefined; see {@link ReadOptions} for
   * the consistency. A local read without a promise: {@link Tables.local}.
   * Throws UnknownTableError, DivergedError, StaleReadError, TimeoutError.
   */
  async get(table: string, key: RowKey, options: ReadOptions = {}): Promise<Row | undefined> {
    if (options.read === undefined || options.read === 'local') return this.local.get(table, key, options);
    const state = this.core.state;
    tableDefinition(state.definitions, table);
    checkKey(table, key);
    await this.readable(options);
    return this.core.state.get(table, key)?.row;
  }

  /** The rows an index query selects (`{ index, eq }` or `{ index, gte?, lt? }`), in index order. Throws UnknownIndexError, and as {@link get}. */
  async query(table: string, query: IndexQuery, options: ReadOptions = {}): Promise<Row[]> {
    if (options.read === undefined || options.read === 'local') return this.local.query(table, query, options);
    checkIndex(this.core.state.definitions, table, query?.index);
    await this.readable(options);
    return this.core.state.query(table, query).map((r) => r.row);
  }

  /** Every row of `table`, sorted by key, from this node's copy (`herd tables dump`). */
  rows(table: string): Row[] {
    const state = this.core.state;
    tableDefinition(state.definitions, table);
    return state.rows(table).map((r) => r.row);
  }

  /** The applied changes from a position on, then each new one as it is applied. Throws HistoryUnavailableError for a position older than kept. */
  changes(options: ChangesOptions = {}): AsyncGenerator<Change, void, undefined> {
    if (options.table !== undefined) tableDefinition(this.core.state.definitions, options.table);
    if (options.from !== undefined) checkPosition(options.from, 'changes from');
    if (options.after !== undefined) checkPosition(options.after, 'changes after');
    return this.core.feed.iterate({ ...options, signal: anySignal(options.signal, this.core.stop.signal) });
  }

  /** This node's last applied position (null before the first entry) and its checksum. */
  get status(): { readonly position: Position | null; readonly checksum: string; readonly quorum: boolean; readonly primary: string | null } {
    const core = this.core;
    return { position: core.state.position, checksum: core.state.checksum, quorum: core.quorum, primary: core.cluster?.primary()?.identifier ?? null };
  }

  /** This node's snapshots: the latest position (in memory, and on disk with a dataDir), how many were taken, and the last one loaded. */
  get snapshots(): SnapshotStatus {
    return this.core.keeper.current;
  }

  /** Waits until this node has applied `position` (the primitive behind session reads). TimeoutError, CancelledError. */
  waitForPosition(position: Position, options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    checkPosition(position, 'waitForPosition');
    return this.core.applied.wait(position, options);
  }

  /** The waits of a session or linearizable read, then the serving checks again (a resync may have started meanwhile). */
  private async readable(options: ReadOptions): Promise<void> {
    const core = this.core;
    core.checkServing();
    if (options.read === 'session') {
      checkPosition(options.after, 'session read after');
      await core.applied.wait(options.after, options, `tables ${this.name}: session read`);
    } else if (options.read === 'linearizable') {
      const deadline = new Deadline(core.client.clock, options.timeout);
      const tail = await this.writes.committedTail(deadline, options.signal);
      await core.applied.wait(tail, { timeout: deadline.remaining(), signal: options.signal }, `tables ${this.name}: linearizable read`);
    } else throw new BadArgumentsError(`tables ${this.name}: read must be 'local', 'session' or 'linearizable'`);
    if (core.diverged !== undefined) throw core.diverged;
  }

  // ---- transactions ----

  /**
   * Runs `fn` against this node's copy and commits what it wrote through the
   * log. Resolves once this node has applied the entry, with its position
   * and fn's result. Rejects with TransactionConflictError (after `retries`
   * reruns), QuorumLostError (at once, nothing sent), SchemaViolationError,
   * RowTooLargeError, UnknownTableError (nothing sent), TimeoutError,
   * CancelledError, or the rpc error of a forward whose outcome is unknown
   * (RpcConnectionError: the transaction may or may not have committed).
   */
  transaction<R>(fn: (tx: Transaction) => R | Promise<R>, options: TransactionOptions = {}): Promise<TransactionResult<R>> {
    return this.writes.transaction(fn, options);
  }

  /** Leaves the cluster (handing the primary role over), stops following the log and serving. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const core = this.core;
      core.markClosed();
      this.membership.stopPublishing();
      core.stop.abort();
      await core.keeper.close();
      core.feed.close();
      core.applied.fail(new InvalidStateError(`tables ${this.name}: closed`));
      await core.cluster.close();
      await this.served.close();
      await this.writes.close();
    })().finally(() => this.core.hosting.close());
    return this.closing;
  }

  /** {@link Tables.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Opens a node of the tables cluster `name`: records its weight, serves
 * its rpc object, joins the cluster (whose primary writes the log) and
 * starts applying the log from its beginning (with a `dataDir`, from its
 * snapshot file's position; when the log was truncated past that, from a
 * member's snapshot: docs/tables.md, "Snapshots"). A node restarted before
 * its previous process's session expired waits for that member to go (see
 * `rejoinTimeout`). Rejects with BadArgumentsError for bad options (before
 * any I/O), DuplicateMemberError when a live member still holds the
 * identifier after `rejoinTimeout`, or the client's error.
 */
export async function openTables(options: OpenTablesOptions): Promise<Tables> {
  const tables = new Tables(options);
  await tables.start().catch(async (err: unknown) => {
    await tables.close().catch(() => {});
    throw err;
  });
  return tables;
}
