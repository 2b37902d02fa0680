/**
 * The implementation of {@link Log} (./log-api.ts) that `openLog`
 * (./log.ts) returns: appends and roll-over, opening (and recovering)
 * segments, the writer's failure, its reads and subscriptions. The
 * protocol is described in ./log.ts.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../base/clock.js';
import { BadArgumentsError, ClientClosedError, HerdError, InvalidStateError, SessionLostError } from '../../errors.js';
import { SessionGuard } from '../../recipes/internal/index.js';
import { WriterFencedError } from '../errors.js';
import { MetadataConflictError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { openSegment, type LogMetadata, type Versioned } from '../metadata/records.js';
import { readEntries, resolveBound, type LogRecord, type ReadBounds, type ReadOptions } from '../reader/read-log.js';
import { checkSubscribeOptions, tailWithPool, type LocalConfirmed, type SubscribeOptions } from '../reader/subscribe.js';
import type { AppendItem, AppendOptions, Log, LogEvents } from './log-api.js';
import { NodePool } from './node-pool.js';
import type { ResolvedLogOptions } from './options.js';
import type { LogPosition } from './position.js';
import { pickNodes } from './quorum.js';
import { recoverSegment } from './recovery.js';
import { SegmentWriter, type EnsembleChange } from './segment-writer.js';

const MAX_OPEN_ATTEMPTS = 10;

/** The single writer of one log (and a reader of it). */
export class LogWriter extends EventEmitter<LogEvents> implements Log {
  private current: SegmentWriter | undefined;
  private meta!: Versioned<LogMetadata>;
  private timestampFloor = 0;
  /** Appends waiting for a roll-over to finish, in order. */
  private waiting: { items: readonly { data: Buffer; timestamp: number }[]; resolve(p: Promise<LogPosition[]>): void }[] = [];
  /** Set while a roll-over runs; settles when it is over. */
  private rolling: Promise<void> | undefined;
  private failure: HerdError | undefined;
  private closing: Promise<void> | undefined;
  /** The age roll-over's timer, armed by the current segment's first append. */
  private ageTimer: unknown;
  private firstAppendAt: number | undefined;
  /** Listeners of the writer's confirmations (its subscriptions). */
  private readonly confirmedListeners = new Set<() => void>();
  /** Aborted by close: the subscriptions return. */
  private readonly subscriptionsStop = new AbortController();
  private readonly subscriptionPools = new Set<NodePool>();
  private readonly guard: SessionGuard;

  constructor(
    readonly name: string,
    private readonly store: LogMetadataStore,
    private readonly pool: NodePool,
    private readonly options: ResolvedLogOptions,
  ) {
    super();
    this.guard = new SessionGuard(store.client, (lost) => this.fail(new SessionLostError(`log ${this.name}: ${lost.message}; the writer stopped`, { cause: lost.cause ?? lost })));
  }

  get segmentId(): number | undefined {
    return this.current?.id;
  }

  async start(): Promise<void> {
    this.guard.start();
    this.meta = await this.store.createLog(this.name, this.options);
    await this.openSegment(MAX_OPEN_ATTEMPTS);
    if (this.failure !== undefined) throw this.failure;
  }

  append(data: Uint8Array, options: AppendOptions = {}): Promise<LogPosition> {
    return this.appendBatch([{ data, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}) }]).then((p) => p[0]!);
  }

  appendBatch(items: readonly AppendItem[]): Promise<LogPosition[]> {
    let entries: { data: Buffer; timestamp: number }[];
    try {
      entries = this.checkItems(items);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(new InvalidStateError(`log ${this.name} is closed`));
    if (entries.length === 0) return Promise.resolve([]);
    if (this.rolling || this.current === undefined || this.shouldRoll(this.current)) {
      return new Promise<Promise<LogPosition[]>>((resolve) => {
        this.waiting.push({ items: entries, resolve });
        this.rolling ??= this.roll().finally(() => {
          this.rolling = undefined;
        });
      }).then((p) => p);
    }
    return this.add(this.current, entries);
  }

  read(options: ReadOptions = {}): AsyncIterableIterator<LogRecord> {
    const bounds: ReadBounds = { ...resolveBound(options.from, 'from'), ...resolveBound(options.to, 'to') };
    return readEntries(this.store, this.pool, this.name, bounds, (id) => (id === this.current?.id ? this.current.lastAddConfirmed : undefined));
  }

  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<LogRecord> {
    const settings = checkSubscribeOptions(options, `subscribe ${this.name}`);
    const pool = new NodePool(this.store.client, { timeout: this.options.nodeTimeout, connectTimeout: this.options.connectTimeout, tls: this.options.tls });
    const refused = this.closing === undefined ? undefined : new InvalidStateError(`log ${this.name} is closed`);
    if (refused === undefined) this.subscriptionPools.add(pool);
    return tailWithPool(this.store.client, pool, this.name, settings, {
      local: this.local,
      stop: this.subscriptionsStop.signal,
      refused,
      ended: () => this.subscriptionPools.delete(pool),
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- appends and roll-over ----------------------------------------------------------

  private add(segment: SegmentWriter, entries: readonly { data: Buffer; timestamp: number }[]): Promise<LogPosition[]> {
    if (this.firstAppendAt === undefined) this.armAgeTimer(segment);
    return segment.addBatch(entries).then((positions) => {
      this.confirmedChanged();
      return positions;
    });
  }

  private shouldRoll(s: SegmentWriter): boolean {
    const o = this.options;
    const aged = this.firstAppendAt !== undefined && this.clock.now() - this.firstAppendAt >= o.maxSegmentAge;
    return s.entries >= o.maxSegmentEntries || s.bytes >= o.maxSegmentBytes || (s.entries > 0 && aged);
  }

  private get clock(): Clock {
    return this.store.client.clock;
  }

  /** Rolls `segment` over `maxSegmentAge` after its first append, appends or not. */
  private armAgeTimer(segment: SegmentWriter): void {
    this.firstAppendAt = this.clock.now();
    this.ageTimer = this.clock.setTimeout(() => {
      this.ageTimer = undefined;
      if (this.current !== segment || this.failure !== undefined || this.closing !== undefined) return;
      this.rolling ??= this.roll().finally(() => {
        this.rolling = undefined;
      });
    }, this.options.maxSegmentAge);
  }

  private cancelAgeTimer(): void {
    if (this.ageTimer !== undefined) this.clock.clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    this.firstAppendAt = undefined;
  }

  /** The writer's subscriptions are told to look again (an acknowledgement, a roll-over, a stop). */
  private confirmedChanged(): void {
    for (const listener of [...this.confirmedListeners]) listener();
  }

  private readonly local: LocalConfirmed = {
    confirmedOf: (id) => (this.failure === undefined && this.current !== undefined && id === this.current.id ? this.current.lastAddConfirmed : undefined),
    onConfirmed: (listener) => {
      this.confirmedListeners.add(listener);
      return () => this.confirmedListeners.delete(listener);
    },
  };

  /** Closes the current segment, opens the next, then lets the waiting appends in, in order. */
  private async roll(): Promise<void> {
    const old = this.current;
    this.cancelAgeTimer();
    try {
      if (old !== undefined) {
        this.current = undefined;
        this.confirmedChanged();
        if (!(await old.close())) throw old.error ?? new ClientClosedError(`segment ${old.id} stopped`);
        this.timestampFloor = Math.max(this.timestampFloor, old.lastTimestamp);
      }
      // One attempt: after our own close, a change to the log means another writer took it over (recovering its segment would fence it in turn).
      await this.openSegment(1);
      if (old !== undefined) this.emit('segmentRolled', { closed: old.id, opened: this.current!.id });
    } catch (error) {
      if (error instanceof MetadataConflictError || error instanceof InvalidStateError) this.fail(new WriterFencedError(old?.id ?? -1, `log ${this.name} changed under its writer: another writer opened it`, { cause: error }));
      for (const w of this.waiting.splice(0)) w.resolve(Promise.reject(this.failure ?? error));
      return;
    } finally {
      this.confirmedChanged();
    }
    for (const w of this.waiting.splice(0)) w.resolve(this.add(this.current!, w.items));
  }

  /** Recovers the log's last segment if it is not CLOSED, then adds a new one; up to `attempts` times when another writer wins a race. */
  private async openSegment(attempts: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const last = this.meta.value.segments[this.meta.value.segments.length - 1];
        if (last !== undefined) {
          let segment = await this.store.readSegment(last);
          if (segment.value.state !== 'CLOSED') segment = await recoverSegment(this.store, this.pool, last, segment);
          this.timestampFloor = Math.max(this.timestampFloor, segment.value.maxTimestamp ?? 0);
        }
        const live = (await this.pool.liveNodes()).map((r) => r.instanceId);
        const nodes = pickNodes(live, this.meta.value.ensembleSize, new Set(), `log ${this.name}: opening a segment`);
        const added = await this.store.addSegment(this.name, this.meta, openSegment(this.name, this.options.identifier, this.meta.value, nodes, Date.now()));
        this.meta = added.log;
        this.current = new SegmentWriter(added.id, added.segment, this.store, this.pool, this.hooks, this.timestampFloor, this.options.explicitConfirmDelay);
        return;
      } catch (error) {
        // Another writer added or recovered a segment meanwhile: read the log again and recover its segment in turn.
        const raced = error instanceof MetadataConflictError || error instanceof InvalidStateError;
        if (!raced || attempt >= attempts) throw error;
        this.meta = await this.store.readLog(this.name);
      }
    }
  }

  private readonly hooks = {
    fenced: (error: WriterFencedError): void => this.fail(error),
    ensembleChanged: (change: EnsembleChange): void => {
      this.emit('ensembleChanged', change);
    },
  };

  /** The writer stops for good: every waiting append rejects, `fenced` is emitted for a fence. */
  private fail(error: HerdError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.guard.stop();
    this.cancelAgeTimer();
    this.current?.abandon(error);
    for (const w of this.waiting.splice(0)) w.resolve(Promise.reject(error));
    this.confirmedChanged();
    if (error instanceof WriterFencedError) this.emit('fenced', error);
    else if (error instanceof SessionLostError) this.emit('lost', error);
  }

  private async shutdown(): Promise<void> {
    this.cancelAgeTimer();
    await this.rolling;
    try {
      if (this.current !== undefined && this.failure === undefined) await this.current.close();
    } finally {
      this.guard.stop();
      this.current?.abandon(new ClientClosedError(`log ${this.name} is closed`));
      this.subscriptionsStop.abort();
      this.confirmedChanged();
      await Promise.all([this.pool.close(), ...[...this.subscriptionPools].map((p) => p.close())]);
      this.subscriptionPools.clear();
    }
  }

  private checkItems(items: readonly AppendItem[]): { data: Buffer; timestamp: number }[] {
    if (!Array.isArray(items)) throw new BadArgumentsError(`log ${this.name}: appendBatch takes an array`);
    const now = Date.now();
    return items.map((item, i) => {
      const { data, timestamp } = item instanceof Uint8Array ? { data: item, timestamp: undefined } : (item ?? ({} as { data?: unknown; timestamp?: unknown }));
      if (!(data instanceof Uint8Array)) throw new BadArgumentsError(`log ${this.name}: entry ${i}'s data must be a Buffer or Uint8Array`);
      if (data.length > this.options.maxEntrySize) throw new BadArgumentsError(`log ${this.name}: entry ${i} is ${data.length} bytes, more than maxEntrySize ${this.options.maxEntrySize}`);
      const ts = timestamp instanceof Date ? timestamp.getTime() : (timestamp ?? now);
      if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw new BadArgumentsError(`log ${this.name}: entry ${i}'s timestamp must be epoch ms or a Date, got ${String(timestamp)}`);
      return { data: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length), timestamp: ts };
    });
  }
}
