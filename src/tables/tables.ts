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
 * so every acknowledged entry stays and none is appended twice (an entry is
 * appended once; a forward whose connection drops is reported, not resent).
 * Every node follows the log with subscribeLog from its applied position and
 * applies each entry with the pure `apply` (state/apply.ts). A node whose
 * checksum at a position differs from the primary's stops serving reads
 * (DivergedError) and reloads the primary's snapshot over rpc.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Deadline, sleep, throwIfAborted, timeoutError } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { joinCluster, type ClusterMember, type ClusterNode, type JsonValue } from '../cluster/index.js';
import { subscribeLog, NoSuchLogError } from '../log/index.js';
import { defaultIdentifier } from '../recipes/internal/index.js';
import { closeRemote, lookup, serve, withCallOptions, type Remote, type Served } from '../rpc/index.js';
import { AppliedPosition, isStaleRead } from './applied.js';
import { ChangeFeed, type ChangesOptions } from './changes.js';
import {
  BadArgumentsError,
  DivergedError,
  DuplicateMemberError,
  HerdError,
  InvalidStateError,
  NotPrimaryError,
  QuorumLostError,
  StaleReadError,
  TransactionConflictError,
} from './errors.js';
import { checkOpenOptions, checkPosition, type LocalReadOptions, type LocalReads, type OpenTablesOptions, type ReadOptions, type TransactionOptions, type TransactionResult } from './options.js';
import { PrimaryWriter } from './primary.js';
import { hasQuorum, readWeights, recordWeight } from './quorum.js';
import {
  anySignal,
  fromPair,
  posKey,
  rejectionError,
  toPair,
  type MemberData,
  type QuorumInfo,
  type TablesEvents,
  type TablesService,
} from './node-types.js';
import { apply, type ApplyResult, type Change } from './state/apply.js';
import { encodeEntry, type Row, type RowKey } from './state/codec.js';
import { checkIndex, checkKey, tableDefinition, validateSchema } from './state/definitions.js';
import { decodeSnapshot, encodeSnapshot } from './state/snapshot.js';
import { comparePosition, TablesState, type IndexQuery, type Position } from './state/store.js';
import { RecordingTransaction, type Transaction } from './transaction.js';
import { SnapshotKeeper, type SnapshotStatus } from './snapshots/keeper.js';
import { TablesHosting } from './hosting/hosting.js';
import { resolveSnapshotOptions } from './snapshots/options.js';
import { readTruncated, truncationInput, Truncator } from './snapshots/truncation.js';

const CHECKSUM_HISTORY = 256;
/** Default `rejoinTimeout`, ms. */
const DEFAULT_REJOIN_TIMEOUT = 60_000;
/** How often a rejoin tries again while its identifier is held, ms. */
const REJOIN_POLL = 250;

/**
 * A node of a tables cluster: from {@link openTables}. Reads come from this
 * node's copy; transactions go through the log; `close()` leaves the
 * cluster (handing the primary role over) and stops following the log.
 */
export class Tables extends EventEmitter<TablesEvents> implements AsyncDisposable {
  private state: TablesState;
  private readonly applied: AppliedPosition;
  private readonly feed: ChangeFeed;
  private readonly client: Client;
  private readonly logName: string;
  private readonly checksums = new Map<string, string>();
  private readonly pending = new Map<string, ApplyResult | null>();
  private readonly weights = new Map<string, number>();
  private readonly remotes = new Map<string, Promise<Remote<TablesService>>>();
  private readonly boot = randomUUID().slice(0, 8);
  private counter = 0;
  private cluster!: ClusterNode;
  private served!: Served;
  private writer: PrimaryWriter | undefined;
  private follower = new AbortController();
  private readonly stop = new AbortController();
  private quorum = true;
  private connected = new Set<string>();
  private newest: Position | null = null;
  private behindSince: number | undefined;
  private diverged: DivergedError | undefined;
  private resyncing = false;
  private publishTimer: unknown;
  private published = '';
  private closing: Promise<void> | undefined;
  private started = false;
  /** This node's identifier in the cluster. */
  readonly identifier: string;
  /** The tables cluster's name. */
  readonly name: string;
  /** This node's weight. */
  readonly weight: number;
  /** Synchronous reads of this node's copy, no promise: `db.local.get(table, key)`, `db.local.query(table, query)`; see {@link LocalReads}. */
  readonly local: LocalReads = {
    get: (table, key, options) => {
      tableDefinition(this.state.definitions, table);
      checkKey(table, key);
      this.localReadable(options);
      return this.state.get(table, key)?.row;
    },
    query: (table, query, options) => {
      checkIndex(this.state.definitions, table, query?.index);
      this.localReadable(options);
      return this.state.query(table, query).map((r) => r.row);
    },
  };

  // ---- snapshots hook (src/tables/snapshots): schedule, file, truncation ----
  private readonly keeper: SnapshotKeeper;
  private readonly truncator: Truncator;
  // ---- deployment hook (src/tables/hosting): the hosted log storage node, the log's default quorums, TLS ----
  private readonly hosting: TablesHosting;

  /** Use {@link openTables}. */
  constructor(private readonly options: OpenTablesOptions) {
    super();
    checkOpenOptions(options);
    this.client = options.client;
    this.name = options.name;
    this.identifier = options.identifier ?? defaultIdentifier();
    this.weight = options.members?.[this.identifier] ?? options.weight ?? 1;
    if (options.members !== undefined && options.members[this.identifier] === undefined) {
      throw new BadArgumentsError(`openTables ${this.name}: ${this.identifier} is not among the declared members`);
    }
    this.logName = `tables.${this.name}`;
    this.state = new TablesState(options.tables);
    this.applied = new AppliedPosition(this.client.clock);
    this.feed = new ChangeFeed(options.changeHistory ?? 10_000);
    const snapshots = resolveSnapshotOptions(options);
    const warn = (err: unknown): void => this.emitWarning(err);
    this.keeper = new SnapshotKeeper({ name: this.name, clock: this.client.clock, definitions: options.tables, state: () => this.state, warn }, snapshots);
    this.truncator = new Truncator(this.client, this.name, snapshots.truncate, warn);
    this.hosting = new TablesHosting(options);
  }

  /** What openTables calls: records the weight, serves rpc, joins the cluster, follows the log. Again: InvalidStateError. */
  async start(): Promise<void> {
    if (this.started) throw new InvalidStateError(`tables ${this.name}: start() was called already`);
    this.started = true;
    await this.hosting.start();
    const fromFile = await this.keeper.loadFile();
    if (fromFile !== undefined) this.install(fromFile);
    if (this.options.members === undefined) {
      await recordWeight(this.client, this.name, this.identifier, this.weight);
      for (const [id, w] of await readWeights(this.client, this.name)) this.weights.set(id, w);
    } else for (const [id, w] of Object.entries(this.options.members)) this.weights.set(id, w);
    const service: TablesService = {
      submit: (bytes) => this.acceptForwarded(bytes),
      tail: () => this.primaryTail(),
      snapshot: async () => encodeSnapshot(this.state),
    };
    this.served = await serve(this.client, this.logName, service, {
      expose: ['submit', 'tail', 'snapshot'],
      idempotent: ['tail', 'snapshot'],
      tags: { identifier: this.identifier },
      identifier: this.identifier,
      ...this.options.rpc,
      ...this.hosting.serveOptions(),
    });
    try {
      this.cluster = await this.join();
    } catch (err) {
      await this.served.close();
      throw err;
    }
    this.cluster.on('members', () => void this.onMembers());
    await this.onMembers();
    void this.follow();
    this.keeper.start();
    this.schedulePublish();
  }

  /**
   * Joins the cluster; while a live member holds this identifier, tries
   * again until `rejoinTimeout`. That member is almost always this node's
   * previous process, SIGKILLed before its session expired. Closing that
   * session at once would need its session password, which only a copy of
   * it persisted by the old process could prove to be ours; the identifier
   * alone proves nothing (two processes misconfigured with one identifier
   * would then close each other in turn), so the node waits for the
   * session to expire instead, which takes at most its session timeout.
   */
  private async join(): Promise<ClusterNode> {
    const deadline = new Deadline(this.client.clock, this.options.rejoinTimeout ?? DEFAULT_REJOIN_TIMEOUT);
    for (;;) {
      try {
        return await joinCluster({
          cluster: this.logName,
          identifier: this.identifier,
          address: this.served.address,
          data: this.memberData() as unknown as JsonValue,
          backend: { coordination: this.client },
          onPrimary: ({ signal }) => this.lead(signal),
        });
      } catch (err) {
        if (!(err instanceof DuplicateMemberError)) throw err;
        if (deadline.expired) {
          throw new DuplicateMemberError(`tables ${this.name}: a live member is still named ${JSON.stringify(this.identifier)} after ${deadline.timeout} ms (rejoinTimeout)`, { cause: err });
        }
        await sleep(this.client.clock, Math.min(REJOIN_POLL, deadline.remaining() ?? REJOIN_POLL));
      }
    }
  }

  // ---- reads ----

  /**
   * The row of `key` in `table`, or undefined; see {@link ReadOptions} for
   * the consistency. A local read without a promise: {@link Tables.local}.
   * Throws UnknownTableError, DivergedError, StaleReadError, TimeoutError.
   */
  async get(table: string, key: RowKey, options: ReadOptions = {}): Promise<Row | undefined> {
    if (options.read === undefined || options.read === 'local') return this.local.get(table, key, options);
    tableDefinition(this.state.definitions, table);
    checkKey(table, key);
    await this.readable(options);
    return this.state.get(table, key)?.row;
  }

  /** The rows an index query selects (`{ index, eq }` or `{ index, gte?, lt? }`), in index order. Throws UnknownIndexError, and as {@link get}. */
  async query(table: string, query: IndexQuery, options: ReadOptions = {}): Promise<Row[]> {
    checkIndex(this.state.definitions, table, query?.index);
    await this.readable(options);
    return this.state.query(table, query).map((r) => r.row);
  }

  /** Every row of `table`, sorted by key, from this node's copy (`herd tables dump`). */
  rows(table: string): Row[] {
    tableDefinition(this.state.definitions, table);
    return this.state.rows(table).map((r) => r.row);
  }

  /** The applied changes from a position on, then each new one as it is applied. Throws HistoryUnavailableError for a position older than kept. */
  changes(options: ChangesOptions = {}): AsyncGenerator<Change, void, undefined> {
    if (options.table !== undefined) tableDefinition(this.state.definitions, options.table);
    if (options.from !== undefined) checkPosition(options.from, 'changes from');
    if (options.after !== undefined) checkPosition(options.after, 'changes after');
    return this.feed.iterate({ ...options, signal: anySignal(options.signal, this.stop.signal) });
  }

  /** This node's last applied position (null before the first entry) and its checksum. */
  get status(): { readonly position: Position | null; readonly checksum: string; readonly quorum: boolean; readonly primary: string | null } {
    return { position: this.state.position, checksum: this.state.checksum, quorum: this.quorum, primary: this.cluster?.primary()?.identifier ?? null };
  }

  /** This node's snapshots: the latest position (in memory, and on disk with a dataDir), how many were taken, and the last one loaded. */
  get snapshots(): SnapshotStatus {
    return this.keeper.current;
  }

  /** Waits until this node has applied `position` (the primitive behind session reads). TimeoutError, CancelledError. */
  waitForPosition(position: Position, options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    checkPosition(position, 'waitForPosition');
    return this.applied.wait(position, options);
  }

  private async readable(options: ReadOptions): Promise<void> {
    if (options.read === undefined || options.read === 'local') return this.localReadable(options);
    this.checkServing();
    if (options.read === 'session') {
      checkPosition(options.after, 'session read after');
      await this.applied.wait(options.after, options, `tables ${this.name}: session read`);
    } else if (options.read === 'linearizable') {
      const deadline = new Deadline(this.client.clock, options.timeout);
      const tail = await this.callPrimary((remote) => remote.tail(), () => this.primaryTail(), deadline, options.signal);
      await this.applied.wait(tail, { timeout: deadline.remaining(), signal: options.signal }, `tables ${this.name}: linearizable read`);
    } else throw new BadArgumentsError(`tables ${this.name}: read must be 'local', 'session' or 'linearizable'`);
    if (this.diverged !== undefined) throw this.diverged;
  }

  /** The checks of a local read, synchronous (they wait for nothing). */
  private localReadable(options: LocalReadOptions | undefined): void {
    this.checkServing();
    const maxStaleness = options?.maxStaleness;
    if (maxStaleness !== undefined) {
      const input = { applied: this.state.position, newest: this.newest, behindSince: this.behindSince, now: this.client.clock.now(), maxStaleness };
      if (isStaleRead(input)) throw new StaleReadError(`tables ${this.name}: this node has been behind for more than ${maxStaleness} ms`);
    }
  }

  private checkServing(): void {
    if (this.closing !== undefined) throw new InvalidStateError(`tables ${this.name}: closed`);
    if (this.diverged !== undefined) throw this.diverged;
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
  async transaction<R>(fn: (tx: Transaction) => R | Promise<R>, options: TransactionOptions = {}): Promise<TransactionResult<R>> {
    const retries = options.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0) throw new BadArgumentsError('transaction: retries must be a non-negative integer');
    const deadline = new Deadline(this.client.clock, options.timeout);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.signal, 'transaction');
      if (this.closing !== undefined) throw new InvalidStateError(`tables ${this.name}: closed`);
      const tx = new RecordingTransaction(this.state);
      const result = await fn(tx);
      if (tx.empty) return { position: this.state.position ?? { segmentId: -1, entryId: -1 }, result };
      for (const { table, row } of tx.puts()) await validateSchema(this.state.definitions, table, row);
      const id = `${this.identifier}/${this.boot}/${this.counter++}`;
      this.pending.set(id, null);
      let outcome: ApplyResult | null;
      try {
        const bytes = encodeEntry(tx.entry(id));
        const position = await this.callPrimary((remote) => remote.submit(bytes), () => this.appendAsPrimary(bytes), deadline, options.signal);
        this.heard(position);
        await this.applied.wait(position, { timeout: deadline.remaining(), signal: options.signal }, `tables ${this.name}: transaction`);
        outcome = this.pending.get(id) ?? null;
      } finally {
        this.pending.delete(id);
      }
      if (outcome === null) throw new InvalidStateError(`tables ${this.name}: transaction ${id} was not found at its position`);
      if (outcome.outcome === 'committed') return { position: outcome.position, result };
      if (outcome.outcome === 'rejected') throw rejectionError(outcome.error);
      if (attempt >= retries) throw new TransactionConflictError(outcome.table, outcome.key);
    }
  }

  /** Sends to the primary: `local` when this node is it, else its rpc object; waits out elections. */
  private async callPrimary<T>(
    remoteCall: (remote: Remote<TablesService>) => Promise<T>,
    local: () => Promise<T>,
    deadline: Deadline,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    for (;;) {
      throwIfAborted(signal, `tables ${this.name}`);
      if (!this.quorum) throw new QuorumLostError(`tables ${this.name}: no quorum (${this.quorumInfo().connected} of ${this.quorumInfo().total} weight connected)`);
      const primary = this.cluster.primary()?.identifier;
      try {
        if (primary === this.identifier) return await local();
        if (primary !== undefined) {
          const remote = await this.remoteOf(primary);
          return await remoteCall(withCallOptions(remote, { timeout: deadline.remaining(), signal }));
        }
      } catch (err) {
        if (!(err instanceof HerdError && err.code === 'NOT_PRIMARY')) throw err;
      }
      if (deadline.expired) throw timeoutError(`tables ${this.name}: waiting for a primary`, deadline.timeout!);
      await sleep(this.client.clock, 25, signal);
    }
  }

  private remoteOf(identifier: string): Promise<Remote<TablesService>> {
    let remote = this.remotes.get(identifier);
    if (remote === undefined) {
      remote = lookup<TablesService>(this.client, this.logName, { tags: { identifier }, timeout: 10_000, ...this.hosting.lookupOptions() });
      remote.catch(() => this.remotes.delete(identifier));
      this.remotes.set(identifier, remote);
    }
    return remote;
  }

  private async acceptForwarded(bytes: Uint8Array): Promise<Position> {
    return this.appendAsPrimary(Buffer.from(bytes));
  }

  private async writerNow(): Promise<PrimaryWriter> {
    for (let i = 0; i < 400; i++) {
      if (!this.cluster?.isPrimary) break;
      if (this.writer !== undefined) return this.writer;
      await sleep(this.client.clock, 25);
    }
    throw new NotPrimaryError(`tables ${this.name}: ${this.identifier} is not the primary`);
  }

  private async appendAsPrimary(bytes: Uint8Array): Promise<Position> {
    const writer = await this.writerNow();
    try {
      return await writer.append(bytes);
    } catch (err) {
      if (err instanceof InvalidStateError) throw new NotPrimaryError(`tables ${this.name}: the tenure ended`);
      throw err;
    }
  }

  private async primaryTail(): Promise<Position> {
    return (await this.writerNow()).tail;
  }

  /** One primary tenure: the log's writer until `signal` aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        this.writer = await PrimaryWriter.open(this.client, this.logName, this.identifier, await this.hosting.logOptions());
        break;
      } catch {
        await sleep(this.client.clock, 200, signal).catch(() => {});
      }
    }
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close().catch(() => {});
  }

  // ---- following the log ----

  private async follow(): Promise<void> {
    const signal = anySignal(this.follower.signal, this.stop.signal);
    while (!signal.aborted) {
      const from = this.state.position;
      try {
        if (await this.behindTruncation()) return;
        for await (const record of subscribeLog(this.client, this.logName, { from: from ?? 'start', signal, ...this.hosting.readerOptions() })) {
          if (from !== null && comparePosition(record.position, from) <= 0) continue;
          if (record.position.segmentId !== this.state.position?.segmentId && (await this.behindTruncation())) return;
          this.applyRecord(record.data, record.position);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof NoSuchLogError)) this.emitWarning(err);
        await sleep(this.client.clock, 100, signal).catch(() => {});
      }
    }
  }

  private applyRecord(data: Uint8Array, position: Position): void {
    const result = apply(data, position, this.state);
    this.checksums.set(posKey(position), this.state.checksum);
    if (this.checksums.size > CHECKSUM_HISTORY) this.checksums.delete(this.checksums.keys().next().value!);
    if (this.pending.has(result.id)) this.pending.set(result.id, result);
    if (result.outcome === 'committed') this.feed.push(result.changes);
    this.heard(position);
    this.applied.advance(position);
    this.keeper.applied();
  }

  /**
   * True (and a resync started) when the log was truncated past this node's
   * position: following it from there would skip the removed entries, so
   * the node loads a member's snapshot first (snapshots/truncation.ts).
   */
  private async behindTruncation(): Promise<boolean> {
    const mark = await readTruncated(this.client, this.name);
    const position = this.state.position;
    if (mark === null || (position !== null && comparePosition(position, mark) >= 0)) return false;
    void this.resync(this.snapshotSource(), mark);
    return true;
  }

  /** Where to load a snapshot from: the primary, or when that is this node, the live member furthest ahead. */
  private snapshotSource(): string {
    const primary = this.cluster.primary()?.identifier;
    if (primary !== undefined && primary !== this.identifier) return primary;
    const others = this.cluster.members().filter((m) => m.identifier !== this.identifier);
    const ahead = (m: ClusterMember): Position | null => truncationInput(m.data).applied;
    others.sort((a, b) => comparePosition(ahead(b) ?? { segmentId: -1, entryId: -1 }, ahead(a) ?? { segmentId: -1, entryId: -1 }));
    return others[0]?.identifier ?? primary ?? this.identifier;
  }

  /** Notes a position that exists in the log, for the staleness rule. */
  private heard(position: Position | null): void {
    if (position !== null && (this.newest === null || comparePosition(position, this.newest) > 0)) this.newest = position;
    const behind = this.newest !== null && (this.state.position === null || comparePosition(this.state.position, this.newest) < 0);
    if (!behind) this.behindSince = undefined;
    else this.behindSince ??= this.client.clock.now();
  }

  // ---- membership, quorum, integrity ----

  private memberData(): MemberData {
    return {
      weight: this.weight,
      rpc: this.served?.address ?? '',
      position: toPair(this.state.position),
      checksum: this.state.checksum,
      tail: toPair(this.writer?.tail ?? null),
      ...this.keeper.memberData(),
    };
  }

  private schedulePublish(): void {
    this.publishTimer = this.client.clock.setTimeout(() => {
      const data = this.memberData();
      const text = JSON.stringify(data);
      const done = (): void => {
        if (this.closing === undefined) this.schedulePublish();
      };
      if (text === this.published || this.closing !== undefined) return done();
      this.published = text;
      this.cluster.publish(data as unknown as JsonValue).then(done, done);
    }, this.options.publishInterval ?? 500);
  }

  private quorumInfo(): QuorumInfo {
    let connected = 0;
    for (const id of this.connected) connected += this.weights.get(id) ?? 0;
    let total = 0;
    for (const w of this.weights.values()) total += w;
    return { connected, total };
  }

  private async onMembers(): Promise<void> {
    const members = this.cluster.members();
    const now = new Set(members.map((m) => m.identifier));
    const data = (m: ClusterMember): Partial<MemberData> => (m.data ?? {}) as Partial<MemberData>;
    if (this.cluster.isPrimary) this.truncator.consider(members.map((m) => truncationInput(m.data)));
    for (const m of members) {
      if (!this.weights.has(m.identifier) && this.options.members === undefined) this.weights.set(m.identifier, Number(data(m).weight) || 1);
    }
    const joined = [...now].filter((id) => !this.connected.has(id));
    const left = [...this.connected].filter((id) => !now.has(id));
    this.connected = now;
    for (const id of joined) this.emit('nodeConnected', { identifier: id, weight: this.weights.get(id) ?? 0 });
    for (const id of left) this.emit('nodeDisconnected', { identifier: id, weight: this.weights.get(id) ?? 0 });
    const info = this.quorumInfo();
    const quorum = hasQuorum(info.connected, info.total);
    if (quorum !== this.quorum) {
      this.quorum = quorum;
      this.emit(quorum ? 'quorumRegained' : 'quorumLost', info);
    }
    const primary = members.find((m) => m.identifier === this.cluster.primary()?.identifier);
    if (primary === undefined || primary.identifier === this.identifier) return;
    this.heard(fromPair(data(primary).tail));
    this.heard(fromPair(data(primary).position));
    this.checkIntegrity(primary.identifier, fromPair(data(primary).position), data(primary).checksum);
  }

  private checkIntegrity(primary: string, position: Position | null, checksum: unknown): void {
    if (position === null || typeof checksum !== 'string' || this.diverged !== undefined) return;
    const mine = this.checksums.get(posKey(position));
    if (mine === undefined || mine === checksum) return;
    this.diverged = new DivergedError(
      `tables ${this.name}: ${this.identifier}'s checksum at ${posKey(position)} differs from the primary ${primary}'s; resyncing from its snapshot`,
    );
    this.emit('diverged', this.diverged);
    void this.resync(primary);
  }

  /** Loads the primary's snapshot, then follows the log from its position. */
  private async resync(primary: string, truncated: Position | null = null): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      while (this.closing === undefined) {
        try {
          const remote = await this.remoteOf(primary);
          const state = decodeSnapshot(await withCallOptions(remote, { timeout: 30_000 }).snapshot(), this.options.tables);
          if (truncated !== null && (state.position === null || comparePosition(state.position, truncated) < 0)) {
            throw new InvalidStateError(`tables ${this.name}: ${primary}'s snapshot is older than the truncated log (${posKey(truncated)}); trying again`);
          }
          this.follower.abort();
          this.follower = new AbortController();
          this.install(state);
          this.keeper.loadedFromMember(state);
          this.diverged = undefined;
          void this.follow();
          if (state.position !== null) this.emit('resynced', state.position);
          return;
        } catch (err) {
          this.emitWarning(err);
          await sleep(this.client.clock, 500, this.stop.signal).catch(() => {});
          primary = this.snapshotSource();
        }
      }
    } finally {
      this.resyncing = false;
    }
  }

  /** Makes `state` (a loaded snapshot) this node's copy. */
  private install(state: TablesState): void {
    this.state = state;
    this.checksums.clear();
    if (state.position !== null) this.checksums.set(posKey(state.position), state.checksum);
    this.feed.reset(state.position);
    this.applied.advance(state.position, true);
  }

  private emitWarning(err: unknown): void {
    process.emitWarning(`tables ${this.name} (${this.identifier}): ${(err as Error)?.message ?? String(err)}`, 'HerdTablesWarning');
  }

  /** Leaves the cluster (handing the primary role over), stops following the log and serving. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.client.clock.clearTimeout(this.publishTimer);
      this.stop.abort();
      await this.keeper.close();
      this.feed.close();
      this.applied.fail(new InvalidStateError(`tables ${this.name}: closed`));
      await this.cluster.close();
      await this.served.close();
      for (const remote of this.remotes.values()) await remote.then(closeRemote, () => {});
    })().finally(() => this.hosting.close());
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
