/**
 * The disk side of a log storage node: entries of many segments, durable
 * before they are acknowledged, readable by entry id or time range.
 *
 * Design (BookKeeper's, option (a) of issue 13): every add, fence and
 * delete is a record in the journal (journal.ts), written in group commits
 * (group-commit.ts) with one fdatasync per batch; only then is it
 * acknowledged, as soon as it is registered in its segment's memory, and
 * written to the segment's own file (segment.ts, no fsync) before the next
 * batch goes to the journal. A checkpoint syncs the segment files and lets old journal files go. Why
 * not one file per segment synced per batch: a node holds many open
 * segments, and a batch spanning k of them would cost k fsyncs instead of
 * one; the journal keeps the disk's sequential write rate for every
 * segment at once, and the segment files keep reads and retention per
 * segment. Fencing is a journal record like an add, so replay rebuilds it,
 * and the segment file keeps it after the journal is gone.
 *
 * Recovery (open): load every segment file (checking each record's
 * CRC32C), replay every journal file left (idempotent: entries already in
 * a segment file are skipped), then checkpoint. See journal.ts and
 * segment.ts for what is refused and what is reported and served as
 * missing.
 *
 * Limits of this first version: every segment's index is in memory
 * (20 bytes an entry, dense from entry 0) and rebuilt by reading the
 * segment files on open; every segment keeps a file handle open; the data
 * directory is not locked against a second process.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BadArgumentsError, InvalidStateError } from '../../errors.js';
import { loadInstanceId } from './data-dir.js';
import { CorruptEntryError, EntryConflictError, isDiskFull, SegmentFencedError, StorageFailedError, storageError } from './errors.js';
import { GroupCommit, type Batchable } from './group-commit.js';
import { Journal } from './journal.js';
import { decodeRecord, encodeEntry, encodeEntryInto, encodeMarker, ENTRY_BODY, RECORD_HEADER, RecordKind } from './record.js';
import type { EntryRun } from './held-records.js';
import { checkBatch, checkEntry } from './checks.js';
import { isId, resolveOptions, type ResolvedOptions } from './options.js';
import { heldEntries, readEntry, readRange, readRangeRuns } from './node-reads.js';
import { Replay } from './replay.js';
import { Segment, type RecordRun, type SegmentRecord } from './segment.js';
import { SegmentFiles } from './segment-files.js';
import type { AddEntryOptions, FenceResult, LastEntry, NodeStorageOptions, NodeStorageStats, ReadRangeOptions, StoredBatch, StoredEntry } from './types.js';

interface Queued extends Batchable {
  /** One record, or a batch's records back to back. */
  record: Buffer;
  /** What `record` holds for the segment files: one decoded record, or a batch's run. */
  item: SegmentRecord | EntryRun;
  /** The segment it changes, and how. */
  segmentId: number;
  kind: RecordKind;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const PREALLOCATE = 4 * 1024 * 1024;

/**
 * A storage node's entries on disk. Get one with {@link NodeStorage.open};
 * end it with {@link NodeStorage.close}.
 */
export class NodeStorage {
  private readonly deleting = new Set<number>();
  /** Listeners of {@link watchSegment}, by segment id. */
  private readonly watchers = new Map<number, Set<(closing: boolean) => void>>();
  private readonly commit: GroupCommit<Queued>;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    /** This node's identity, stored in its data directory: a wiped directory gets a new one. */
    readonly instanceId: string,
    private readonly options: ResolvedOptions,
    private readonly journal: Journal,
    private readonly files: SegmentFiles,
  ) {
    this.commit = new GroupCommit<Queued>(options.clock, options, (batch) => this.writeBatch(batch));
  }

  /**
   * Opens the storage in `options.dataDir`, creating it on first use or
   * recovering what a crash left.
   * @throws BadArgumentsError for an invalid option.
   * @throws CorruptStorageError when a journal record is corrupt other than
   *   as a torn tail, or a file is not what its name says (names file and offset).
   * @throws DiskFullError, StorageFailedError when the file system fails (`cause` is its error).
   */
  static async open(options: NodeStorageOptions): Promise<NodeStorage> {
    const opts = resolveOptions(options);
    const segmentsDir = join(opts.dataDir, 'segments');
    const segments = new Map<number, Segment>();
    let journal: Journal | undefined;
    try {
      const instanceId = await loadInstanceId(opts.dataDir, opts.fsync);
      await mkdir(segmentsDir, { recursive: true });
      for (const name of await readdir(segmentsDir)) {
        const m = /^([0-9]+)\.seg$/.exec(name);
        if (m) segments.set(Number(m[1]), await Segment.load(Number(m[1]), join(segmentsDir, name), opts.logger));
      }
      const replay = new Replay(segments, segmentsDir);
      const journalOptions = { dir: join(opts.dataDir, 'journal'), fsync: opts.fsync, preallocate: PREALLOCATE, maxFileSize: opts.journalFileSize, logger: opts.logger };
      journal = await Journal.recover(journalOptions, (record) => replay.record(record));
      await replay.finish();
      const files = new SegmentFiles(segmentsDir, opts.logger);
      for (const [id, seg] of segments) files.map.set(id, seg);
      const storage = new NodeStorage(instanceId, opts, journal, files);
      await storage.checkpoint();
      return storage;
    } catch (err) {
      await Promise.all([...segments.values()].map((s) => s.close().catch(() => {})));
      await journal?.close().catch(() => {});
      throw storageError(err, `log storage ${opts.dataDir}: open`);
    }
  }

  /**
   * Stores an entry; resolves once it is durable (fsynced in the journal).
   * Adding an entry that is already stored with the same bytes succeeds
   * without storing it twice; a corrupt copy is replaced (repair).
   * @throws BadArgumentsError for an invalid entry, or a timestamp that would decrease within the segment.
   * @throws SegmentFencedError when the segment is fenced and this is not a recovery add.
   * @throws EntryConflictError when the entry is stored with different bytes.
   * @throws DiskFullError when the disk is full: nothing was acknowledged; retry when space returns.
   * @throws StorageFailedError after a failed fsync or I/O error: reopen the storage.
   * @throws InvalidStateError after close, or while the segment is being deleted.
   */
  async addEntry(entry: StoredEntry, options: AddEntryOptions = {}): Promise<void> {
    this.checkOpen();
    const { segmentId, entryId, timestamp, lastAddConfirmed, data } = checkEntry(entry, this.options.maxEntrySize);
    if (this.deleting.has(segmentId)) throw new InvalidStateError(`addEntry: segment ${segmentId} is being deleted`);
    const seg = this.files.open(segmentId);
    if (seg.fenced && !options.recovery) throw new SegmentFencedError(segmentId);
    const record = encodeEntry(segmentId, entryId, timestamp, lastAddConfirmed, data);
    if (seg.has(entryId)) {
      const queued = seg.pending.bytesOf(entryId);
      if (queued) {
        if (!queued.equals(record)) throw new EntryConflictError(segmentId, entryId);
        return seg.pendingDone(entryId);
      }
      const stored = await seg.read(entryId).catch((err: unknown) => {
        if (err instanceof CorruptEntryError) return undefined;
        throw storageError(err, `addEntry: segment ${segmentId} entry ${entryId}: reading the stored copy`);
      });
      if (stored) {
        if (stored.timestamp !== timestamp || stored.lastAddConfirmed !== lastAddConfirmed || !stored.data.equals(data)) throw new EntryConflictError(segmentId, entryId);
        return;
      }
    }
    const problem = seg.timestampProblem(entryId, timestamp);
    if (problem) throw new BadArgumentsError(`addEntry: segment ${segmentId} entry ${entryId}: ${problem}`);
    const held = seg.reserve(entryId, timestamp, record);
    held.done = this.enqueue(held);
    return held.done;
  }

  /**
   * Stores consecutive entries of one segment, `firstEntryId` on, all
   * carrying `lastAddConfirmed` (an ADD_ENTRIES request); resolves once
   * all are durable, normally in one group commit. The batch is one record
   * buffer, one queue item and one promise, not one of each per entry:
   * per-entry promises and copies were most of a node's cost per add.
   * A batch with an entry already stored or queued goes entry by entry
   * ({@link addEntry}, which compares copies: a resend after a failure, a
   * repair), and some entries may then be stored when it rejects.
   * @throws the same as {@link addEntry}; a timestamp problem refuses the whole batch before anything is queued.
   */
  async addEntries(batch: StoredBatch, options: AddEntryOptions = {}): Promise<void> {
    this.checkOpen();
    const { segmentId, firstEntryId, lastAddConfirmed, entries } = checkBatch(batch, this.options.maxEntrySize);
    const count = entries.length;
    if (count === 0) return;
    if (this.deleting.has(segmentId)) throw new InvalidStateError(`addEntries: segment ${segmentId} is being deleted`);
    const seg = this.files.open(segmentId);
    if (seg.fenced && !options.recovery) throw new SegmentFencedError(segmentId);
    if (seg.holdsAnyOf(firstEntryId, count)) {
      await Promise.all(entries.map((e, j) => this.addEntry({ segmentId, entryId: firstEntryId + j, timestamp: e.timestamp, lastAddConfirmed, data: e.data }, options)));
      return;
    }
    const bad = seg.batchTimestampProblem(firstEntryId, entries);
    if (bad !== null) throw new BadArgumentsError(`addEntries: segment ${segmentId} entry ${bad.entryId}: ${bad.problem}`);
    let total = 0;
    for (let i = 0; i < count; i++) total += RECORD_HEADER + ENTRY_BODY + entries[i]!.data.length;
    const bytes = Buffer.allocUnsafe(total);
    const ends = new Uint32Array(count);
    for (let i = 0, at = 0; i < count; i++) {
      const e = entries[i]!;
      at += encodeEntryInto(bytes, at, segmentId, firstEntryId + i, e.timestamp, lastAddConfirmed, e.data);
      ends[i] = at;
    }
    const run: EntryRun = { segmentId, first: firstEntryId, count, bytes, ends };
    seg.reserveRun(run);
    run.done = new Promise<void>((resolve, reject) => this.commit.push({ bytes: total, record: bytes, item: run, segmentId, kind: RecordKind.entry, resolve, reject }));
    return run.done;
  }

  /**
   * Fences a segment: from now on only recovery adds are accepted. Resolves
   * once the fence is durable, with the last entry stored then.
   * @throws BadArgumentsError for an invalid id. DiskFullError, StorageFailedError, InvalidStateError as {@link addEntry}.
   */
  async fence(segmentId: number): Promise<FenceResult> {
    this.checkOpen();
    if (!isId(segmentId)) throw new BadArgumentsError(`fence: segmentId must be a non-negative safe integer, got ${String(segmentId)}`);
    if (this.deleting.has(segmentId)) throw new InvalidStateError(`fence: segment ${segmentId} is being deleted`);
    const seg = this.files.open(segmentId);
    // Fenced at once in memory, so no add slips in while the record is on its way to disk.
    seg.fenced = true;
    await this.enqueueMarker(RecordKind.fence, segmentId);
    return { lastEntryId: seg.lastEntryId, lastAddConfirmed: seg.lastAddConfirmed };
  }

  /** Whether the segment is fenced on this node. */
  isFenced(segmentId: number): boolean {
    return this.files.map.get(segmentId)?.fenced ?? false;
  }

  /**
   * Reads one entry; undefined when this node does not hold it (node-reads.ts).
   * @throws CorruptEntryError when this node's copy fails its CRC32C (it counts as missing: read another replica).
   * @throws BadArgumentsError for invalid ids; InvalidStateError after close; StorageFailedError when the read fails.
   */
  async readEntry(segmentId: number, entryId: number): Promise<StoredEntry | undefined> {
    this.checkOpen();
    return readEntry(this.files.map, segmentId, entryId);
  }

  /**
   * Reads the entries of a segment within all the given bounds, in entry
   * order, skipping entries not held (node-reads.ts).
   * @throws CorruptEntryError on reaching a corrupt copy, after the entries before it.
   * @throws BadArgumentsError for invalid bounds; InvalidStateError after close; StorageFailedError when the read fails.
   */
  async *readRange(segmentId: number, range: ReadRangeOptions = {}): AsyncGenerator<StoredEntry> {
    this.checkOpen();
    yield* readRange(this.files.map, segmentId, range);
  }

  /**
   * {@link readRange} as runs of whole, CRC-checked records, undecoded, a
   * file read's worth at a time: what READ_RANGE sends on (node-reads.ts).
   * @throws the same as {@link readRange}.
   */
  async *readRangeRuns(segmentId: number, range: ReadRangeOptions = {}): AsyncGenerator<RecordRun> {
    this.checkOpen();
    yield* readRangeRuns(this.files.map, segmentId, range);
  }

  /**
   * Which entries of a segment in [fromEntry, toEntry] this node holds a
   * good copy of, with an optional scrub (`verify`) (node-reads.ts).
   * @throws BadArgumentsError for invalid ids; InvalidStateError after close; StorageFailedError when a read fails.
   */
  async heldEntries(segmentId: number, range: { fromEntry: number; toEntry: number; verify?: boolean }, max: number): Promise<{ ranges: [number, number][]; next: number }> {
    this.checkOpen();
    return heldEntries(this.files.map, this.options.logger, segmentId, range, max);
  }

  /** The last entry stored for a segment (by entry id), or undefined when none. */
  lastEntry(segmentId: number): LastEntry | undefined {
    const seg = this.files.map.get(segmentId);
    if (!seg || seg.lastEntryId < 0) return undefined;
    return { entryId: seg.lastEntryId, lastAddConfirmed: seg.lastAddConfirmed, timestamp: seg.lastTimestamp };
  }

  /**
   * Calls `listener` after each durable change to a segment on this node
   * (entries stored, a fence, a delete), and once with `closing` true when
   * the storage closes, until the returned function is called: the hook of the node's long
   * poll (WAIT_CONFIRMED), which then reads {@link lastEntry} and
   * {@link isFenced} again.
   */
  watchSegment(segmentId: number, listener: (closing: boolean) => void): () => void {
    let set = this.watchers.get(segmentId);
    if (!set) this.watchers.set(segmentId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(segmentId) === set) this.watchers.delete(segmentId);
    };
  }

  /** The ids of the segments held, in increasing order. */
  segments(): number[] {
    return [...this.files.map.keys()].sort((a, b) => a - b);
  }

  /**
   * Deletes a segment and its entries (retention). Resolves once the
   * delete is durable; deleting a segment not held is a no-op that is
   * journaled all the same.
   * @throws BadArgumentsError for an invalid id. DiskFullError, StorageFailedError, InvalidStateError as {@link addEntry}.
   */
  async deleteSegment(segmentId: number): Promise<void> {
    this.checkOpen();
    if (!isId(segmentId)) throw new BadArgumentsError(`deleteSegment: segmentId must be a non-negative safe integer, got ${String(segmentId)}`);
    this.deleting.add(segmentId);
    try {
      await this.enqueueMarker(RecordKind.delete, segmentId);
    } finally {
      this.deleting.delete(segmentId);
    }
  }

  /** Counters for metrics. */
  stats(): NodeStorageStats {
    let bytesStored = 0;
    // Durable records the segment file has not taken yet count: their file write is off the add path.
    for (const seg of this.files.map.values()) bytesStored += seg.size + seg.unwritten.bytes;
    return { bytesStored, segments: this.files.map.size, fsyncs: this.journal.fsyncs, lastFsyncDuration: this.journal.lastFsyncDuration, flushes: { ...this.commit.triggers } };
  }

  /**
   * Waits for queued operations, then closes the files. Idempotent: every
   * call returns the same promise. Later calls of other methods throw
   * InvalidStateError. Nothing is lost if the process dies instead: the
   * next open recovers from the journal.
   * @throws StorageFailedError when the file system fails to close a file.
   */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.notify([...this.watchers.keys()], true);
      await this.commit.drain();
      for (const seg of this.files.map.values()) await seg.writeUnwritten().catch(() => {});
      try {
        await this.journal.close();
        await Promise.all([...this.files.map.values()].map((s) => s.close()));
      } catch (err) {
        throw storageError(err, `log storage ${this.options.dataDir}: close`);
      }
    })();
    return this.closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private notify(ids: Iterable<number>, closing = false): void {
    for (const id of new Set(ids)) for (const listener of [...(this.watchers.get(id) ?? [])]) listener(closing);
  }

  private checkOpen(): void {
    if (this.closing) throw new InvalidStateError(`log storage ${this.options.dataDir}: closed`);
  }

  private enqueue(item: SegmentRecord): Promise<void> {
    const { record, decoded } = item;
    return new Promise<void>((resolve, reject) => {
      this.commit.push({ bytes: record.length, record, item, segmentId: decoded.segmentId, kind: decoded.kind, resolve, reject });
    });
  }

  private enqueueMarker(kind: typeof RecordKind.fence | typeof RecordKind.delete, segmentId: number): Promise<void> {
    const record = encodeMarker(kind, segmentId);
    return this.enqueue({ record, decoded: decodeRecord(record, 0) });
  }

  /** One group commit: journal write and sync, then apply to segment files, then acknowledge. */
  private async writeBatch(batch: Queued[]): Promise<void> {
    try {
      if (this.failure) throw new StorageFailedError(`log storage failed earlier: ${this.failure.message}`, { cause: this.failure });
      await this.journal.append(batch.length === 1 ? batch[0]!.record : Buffer.concat(batch.map((q) => q.record)));
    } catch (err) {
      for (const q of batch) {
        const seg = this.files.map.get(q.segmentId);
        if ('ends' in q.item) seg?.releaseRun(q.item);
        else if (q.kind === RecordKind.entry) seg?.release(q.item.decoded.entryId);
        q.reject(err);
      }
      return;
    }
    // The batch is durable. Applying it registers each record in its segment
    // at once (reads, lastEntry and fences see it) before the file writes
    // start, so the adds are acknowledged without waiting for the segment
    // files; a batch with a delete, which applies what follows it later, waits.
    // applyAll logs a file write that fails (the records stay in memory); anything else is logged here, never thrown out of the group commit.
    const applied = this.files.applyAll(batch.map((q) => q.item)).catch((err: unknown) => this.options.logger(`applying a journal batch to the segment files failed: ${String(err)}`));
    if (batch.some((q) => q.kind === RecordKind.delete)) await applied;
    for (const q of batch) q.resolve();
    this.notify(batch.map((q) => q.segmentId));
    // The next batch goes to the journal while the segment files are written (one write at a time per file,
    // what comes meanwhile joins the next): their writes are off the path of every add. A checkpoint waits for them.
    if (this.journal.full) {
      await applied;
      await this.checkpoint().catch((err: unknown) => this.checkpointFailed(err));
    }
  }

  /**
   * Syncs every segment file written since the last checkpoint and the
   * segment directory, starts a new journal file and deletes the old ones.
   * Skipped while a segment file holds records in memory only.
   */
  private async checkpoint(): Promise<void> {
    if (!(await this.files.writeAll())) return;
    await this.files.syncAll(this.options.fsync);
    await this.journal.roll();
    await this.journal.removeOlder();
  }

  private checkpointFailed(err: unknown): void {
    if (isDiskFull(err)) {
      this.options.logger(`checkpoint skipped, disk full: ${String(err)}`);
      return;
    }
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.options.logger(`checkpoint failed, the storage stops taking writes: ${this.failure.message}`);
  }
}
