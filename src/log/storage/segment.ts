/**
 * One segment's entries on this node: a file of records and its in-memory
 * indexes.
 *
 * File `segments/<segment id>.seg`:
 *   magic "HERDSEG1" (8 bytes)
 *   records (record.ts), in the order they were applied from the journal:
 *   entries in any entry order (recovery and repair copies arrive out of
 *   order), and a fence record once the segment is fenced
 *
 * The file is written without fsync, right after the journal batch that
 * holds the same records is synced; a checkpoint (journal.ts) syncs it
 * before the journal files that hold its records are deleted.
 *
 * Indexes, rebuilt by scanning the file on open (each record's CRC32C is
 * checked then, as it is on every read): entry id -> (offset, length,
 * timestamp) in pages allocated where entries exist (entry-index.ts), and the sparse time
 * index (time-index.ts) that starts time-range reads near the first
 * matching entry instead of at entry 0.
 *
 * Failure handling: a record that fails its checksum (bit rot, or the
 * unsynced tail of a crash that the journal replay wrote again further on)
 * is logged with file and offset; if its header still names an entry of
 * this segment, that entry is marked corrupt and reads of it throw
 * {@link CorruptEntryError} until a good copy is added (repair), and a
 * corrupt copy found by a read is marked the same way. Nothing bad is ever
 * returned. A bad magic refuses to open with {@link CorruptStorageError}.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CorruptStorageError } from './errors.js';
import { FileWindow, scanRecords } from './record-scan.js';
import { claimedSegment, decodeRecord, ENTRY_BODY, RECORD_HEADER, RecordKind, recordLastAddConfirmed, recordTimestamp, type DecodedRecord } from './record.js';
import { EntryIndex } from './entry-index.js';
import { HeldRecords, type EntryRun } from './held-records.js';
import { TimeIndex } from './time-index.js';
import { readSegmentEntry, segmentRange, segmentRuns, type ReadableSegment, type RecordRun, type SegmentRange } from './segment-reads.js';

export type { RecordRun, SegmentRange } from './segment-reads.js';
import { writeAt, writtenBefore } from './write-at.js';

export const SEGMENT_MAGIC = Buffer.from('HERDSEG1', 'latin1');

/** A record to apply, with what the segment needs to index it. */
export interface SegmentRecord {
  record: Buffer;
  decoded: DecodedRecord;
}

/** A single add queued for the journal. */
export interface PendingRecord extends SegmentRecord {
  /** Settles once it is durable (a second add of the same bytes waits for it). */
  done?: Promise<void>;
}

function unwrittenKey(rec: DecodedRecord): number {
  return rec.kind === RecordKind.entry ? rec.entryId : -1;
}

export class Segment implements ReadableSegment {
  fenced = false;
  lastEntryId = -1;
  lastAddConfirmed = -1;
  lastTimestamp = 0;
  /** Written since the last checkpoint synced it. */
  dirty = false;
  readonly timeIndex = new TimeIndex();
  /** Records in the journal queue, not yet durable, by entry id: single adds and batches (runs). */
  readonly pending = new HeldRecords<PendingRecord>();
  /**
   * Records durable in the journal that the file has not taken yet (its
   * write is on its way, or failed: disk full), by entry id (the fence
   * under -1): served from here, written by the next {@link writeUnwritten}.
   */
  readonly unwritten = new HeldRecords<SegmentRecord>();
  /** The file write in progress: one at a time, what arrives meanwhile goes in the next one. */
  private writing: Promise<void> | undefined;

  /** Where each entry lies in the file (read by segment-reads.ts). */
  readonly entries = new EntryIndex();
  /** Entries whose copy here failed its check, by entry id (read and marked by segment-reads.ts). */
  readonly corrupt = new Map<number, { offset: number; reason: string }>();
  private fh: FileHandle | null = null;
  /** Bytes stored in the file, where the next record goes. */
  size = 0;

  constructor(
    readonly id: number,
    readonly path: string,
  ) {}

  /** Opens an existing segment file and rebuilds its indexes. */
  static async load(id: number, path: string, logger: (m: string) => void): Promise<Segment> {
    const seg = new Segment(id, path);
    const fh = await open(path, 'r+');
    seg.fh = fh;
    const { size } = await fh.stat();
    const w = new FileWindow(fh, size);
    const magic = await w.view(0, SEGMENT_MAGIC.length);
    if (!magic.equals(SEGMENT_MAGIC)) {
      if (!magic.every((b) => b === 0)) {
        await fh.close();
        throw new CorruptStorageError(path, 0, 'not a Herd segment file (bad magic)');
      }
      // Created just before a crash: nothing in it was synced, the journal replay writes it again.
      await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
      await fh.truncate(SEGMENT_MAGIC.length);
      seg.size = SEGMENT_MAGIC.length;
      seg.dirty = true;
      return seg;
    }
    seg.size = size;
    for await (const ev of scanRecords(w, SEGMENT_MAGIC.length, (buf, at) => claimedSegment(buf, at) === id)) {
      if (ev.type === 'record') seg.index(decodeRecord(ev.record, 0), ev.offset, ev.record.length);
      else if (ev.type === 'end') seg.size = ev.offset;
      else {
        const p = ev.probe;
        const names = p.length >= RECORD_HEADER + ENTRY_BODY && p[RECORD_HEADER] === RecordKind.entry && claimedSegment(p, 0) === id;
        const entryId = names ? Number(p.readBigUInt64BE(RECORD_HEADER + 9)) : -1;
        logger(`segment ${path}: bad record at offset ${ev.offset} (${ev.reason})${names ? `, entry ${entryId} counts as missing` : ''}`);
        if (names && seg.entries.offset(entryId) < 0) seg.corrupt.set(entryId, { offset: ev.offset, reason: ev.reason });
      }
    }
    return seg;
  }

  /** Whether this node holds the entry or has it on its way to disk (a corrupt copy does not count). */
  has(entryId: number): boolean {
    return this.pending.has(entryId) || this.unwritten.has(entryId) || this.entries.offset(entryId) >= 0;
  }

  /**
   * The entries in [from, to] this node holds a good copy of (see
   * {@link has}), as ascending inclusive ranges, at most `max` of them;
   * `next` is where to go on from when `max` cut the answer short (-1 when
   * it did not). Steps from held entry to held entry through the time
   * index, so ids far apart (a node that joined mid-segment, or a request
   * naming an id near 2^53) cost nothing for the gap between them.
   */
  heldRanges(from: number, to: number, max: number): { ranges: [number, number][]; next: number } {
    let upper = this.entries.limit - 1;
    for (const e of this.pending.keys()) upper = Math.max(upper, e);
    for (const e of this.unwritten.keys()) upper = Math.max(upper, e);
    const end = Math.min(to, upper);
    const ranges: [number, number][] = [];
    // Held entry to held entry, never id by id: a segment may hold ids far apart (a request may name any id
    // up to 2^53), and a walk over the gap between them blocked the node's event loop for hours.
    for (let e = this.nextHeld(from, end); e !== undefined; e = this.nextHeld(e + 1, end)) {
      if (ranges.length === max) return { ranges, next: e };
      const first = e;
      while (e + 1 <= end && this.has(e + 1)) e++;
      ranges.push([first, e]);
    }
    return { ranges, next: -1 };
  }

  /**
   * The lowest entry id in [from, end] this node holds, or undefined. Every
   * held entry (queued, in memory, in the file) has its timestamp in the
   * index, whose search skips empty pages.
   */
  private nextHeld(from: number, end: number): number | undefined {
    for (let e = this.entries.nextWithTimestamp(from, end + 1); e !== undefined; e = this.entries.nextWithTimestamp(e + 1, end + 1)) {
      if (this.has(e)) return e;
    }
    return undefined;
  }

  /** Why `timestamp` cannot be entry `entryId`'s (an entry before it is later, or one after it earlier), or null. */
  timestampProblem(entryId: number, timestamp: number): string | null {
    const before = this.entries.previousWithTimestamp(entryId);
    if (before !== undefined && timestamp < this.entries.timestamp(before)) {
      return `timestamp ${timestamp} is before entry ${before}'s timestamp ${this.entries.timestamp(before)}`;
    }
    const after = this.entries.nextWithTimestamp(entryId + 1, this.entries.limit);
    if (after !== undefined && timestamp > this.entries.timestamp(after)) {
      return `timestamp ${timestamp} is after entry ${after}'s timestamp ${this.entries.timestamp(after)}`;
    }
    return null;
  }

  /** Holds a queued add's place, so its timestamp counts for the next adds' checks; the pending record (its `done` is the caller's to set). */
  reserve(entryId: number, timestamp: number, record: Buffer): PendingRecord {
    const held: PendingRecord = { record, decoded: decodeRecord(record, 0) };
    this.pending.set(entryId, held);
    this.entries.setTimestamp(entryId, timestamp);
    return held;
  }

  /** {@link reserve} for a batch none of whose entries is held ({@link holdsAnyOf}). */
  reserveRun(run: EntryRun): void {
    this.pending.addRun(run);
    for (let i = 0, start = 0; i < run.count; start = run.ends[i++]!) this.entries.setTimestamp(run.first + i, recordTimestamp(run.bytes, start));
  }

  /** Gives up the places taken by {@link reserveRun} (the batch failed). */
  releaseRun(run: EntryRun): void {
    if (!this.pending.removeRun(run)) return;
    for (let e = run.first; e < run.first + run.count; e++) if (this.entries.offset(e) < 0 && !this.unwritten.has(e)) this.entries.setTimestamp(e, NaN);
  }

  /** When a queued add of `entryId` will be durable; undefined when none is queued. */
  pendingDone(entryId: number): Promise<void> | undefined {
    return this.pending.single(entryId)?.done ?? this.pending.runOf(entryId)?.done;
  }

  /**
   * Whether any entry of [first, first + count) is held, on its way or
   * stored (as {@link has}): one scan of the index's timestamps, which
   * every such entry has, instead of a lookup per entry.
   */
  holdsAnyOf(first: number, count: number): boolean {
    return this.entries.nextWithTimestamp(first, first + count) !== undefined || this.pending.runOverlaps(first, count) || this.unwritten.runOverlaps(first, count);
  }

  /**
   * For a batch of consecutive entries none of which is held: the first
   * whose timestamp does not fit (before the entry before it, or after the
   * entry after the batch), and why; null when all fit.
   */
  batchTimestampProblem(first: number, entries: readonly { timestamp: number }[]): { entryId: number; problem: string } | null {
    const head = this.timestampProblem(first, entries[0]!.timestamp);
    if (head !== null) return { entryId: first, problem: head };
    for (let i = 1; i < entries.length; i++) {
      const t = entries[i]!.timestamp;
      const before = entries[i - 1]!.timestamp;
      if (t < before) return { entryId: first + i, problem: `timestamp ${t} is before entry ${first + i - 1}'s timestamp ${before}` };
    }
    const last = first + entries.length - 1;
    const tail = this.timestampProblem(last, entries[entries.length - 1]!.timestamp);
    return tail === null ? null : { entryId: last, problem: tail };
  }

  /** Gives up a place taken by {@link reserve} (the add failed). */
  release(entryId: number): void {
    if (!this.pending.delete(entryId)) return;
    if (this.entries.offset(entryId) < 0 && !this.unwritten.has(entryId)) this.entries.setTimestamp(entryId, NaN);
  }

  /**
   * Appends journaled records (single ones, and batches as runs) to the
   * file and indexes them. The records are registered ({@link unwritten}:
   * reads, lastEntry and the fence see them) before the first await, so a
   * caller may acknowledge them without waiting for the write. Writes go
   * one at a time per file; records applied while one is on its way join
   * the next, so the file takes several journal batches in one write when
   * they come fast. When the write fails the records stay in memory and
   * the error is thrown; {@link writeUnwritten} tries again.
   */
  apply(records: readonly (SegmentRecord | EntryRun)[]): Promise<void> {
    for (const r of records) {
      if ('ends' in r) {
        this.pending.removeRun(r);
        this.unwritten.addRun(r);
        // Reads find the run's entries by the timestamps reserveRun set; only the last entry can move lastEntry.
        const start = r.count === 1 ? 0 : r.ends[r.count - 2]!;
        this.noteLastOf(r.first + r.count - 1, recordLastAddConfirmed(r.bytes, start), recordTimestamp(r.bytes, start));
        continue;
      }
      if (r.decoded.kind === RecordKind.fence) this.fenced = true;
      else {
        this.pending.delete(r.decoded.entryId);
        // Reads and range reads find the entry by its timestamp until the file write indexes it.
        this.entries.setTimestamp(r.decoded.entryId, r.decoded.timestamp);
        this.noteLast(r.decoded);
      }
      this.unwritten.set(unwrittenKey(r.decoded), r);
    }
    return this.writeUnwritten();
  }

  /** Writes what is held in memory only (after the write on its way, if any); throws when it cannot. */
  async writeUnwritten(): Promise<void> {
    while (this.writing !== undefined) await this.writing.catch(() => {});
    if (this.unwritten.size === 0) return;
    const write = this.writeHeld();
    this.writing = write;
    try {
      await write;
    } finally {
      if (this.writing === write) this.writing = undefined;
    }
  }

  /** Resolves once no file write is on its way (a delete closes the file after it). */
  async settled(): Promise<void> {
    while (this.writing !== undefined) await this.writing.catch(() => {});
  }

  private async writeHeld(): Promise<void> {
    const { singles, runs } = this.unwritten.snapshot();
    const parts: Buffer[] = [];
    for (const [, r] of singles) parts.push(r.record);
    for (const run of runs) parts.push(run.bytes);
    if (parts.length === 0) return;
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const fh = await this.file();
    try {
      // Inline, no sync: a page-cache copy (./write-at.ts); a checkpoint syncs the file.
      writeAt(fh, buf, this.size);
    } catch (err) {
      // Drop a partial record so the next write does not leave a bad one in the middle.
      if (writtenBefore(err) > 0) await fh.truncate(this.size).catch(() => {});
      throw err;
    }
    let at = this.size;
    for (const [key, r] of singles) {
      this.unwritten.deleteIf(key, r);
      this.index(r.decoded, at, r.record.length);
      at += r.record.length;
    }
    for (const run of runs) {
      this.unwritten.removeRun(run);
      this.indexRun(run, at);
      at += run.bytes.length;
    }
    this.size = at;
    this.dirty = true;
  }

  /** {@link index} for a run written at `offset`; its last entry was noted by {@link apply}. */
  private indexRun(run: EntryRun, offset: number): void {
    for (let i = 0, start = 0; i < run.count; start = run.ends[i++]!) {
      const e = run.first + i;
      if (this.entries.offset(e) >= 0) continue; // a second copy (see index)
      const timestamp = recordTimestamp(run.bytes, start);
      this.entries.setStored(e, offset + start, run.ends[i]! - start, timestamp);
      if (this.corrupt.size > 0) this.corrupt.delete(e);
      this.timeIndex.note(e, timestamp);
    }
  }

  /** Reads one entry; undefined when this node does not hold it. Throws {@link CorruptEntryError} for a bad copy (segment-reads.ts). */
  read(entryId: number): Promise<DecodedRecord | undefined> {
    return readSegmentEntry(this, entryId);
  }

  /** The entries in `range` as runs of whole, checked records (segment-reads.ts). */
  runs(range: SegmentRange): AsyncGenerator<RecordRun> {
    return segmentRuns(this, range);
  }

  /** {@link runs} decoded (segment-reads.ts). */
  range(range: SegmentRange): AsyncGenerator<DecodedRecord[]> {
    return segmentRange(this, range);
  }

  /** Makes the file durable (a checkpoint); `fsync` false only marks it clean. */
  async sync(fsync: boolean): Promise<void> {
    if (this.fh && this.dirty && fsync) await this.fh.sync();
    this.dirty = false;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }

  /** The segment file's handle, creating the file on first use (also for segment-reads.ts). */
  async file(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    // Only a new segment gets here (a loaded one keeps its handle): create its file.
    const fh = await open(this.path, 'w+');
    try {
      await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    this.size = SEGMENT_MAGIC.length;
    this.dirty = true;
    this.fh = fh;
    return fh;
  }

  private index(rec: DecodedRecord, offset: number, length: number): void {
    if (rec.kind === RecordKind.fence) {
      this.fenced = true;
      return;
    }
    if (rec.kind !== RecordKind.entry) return;
    const e = rec.entryId;
    if (this.entries.offset(e) >= 0) return; // a second copy (journal replay after a crash): the first is as good
    this.entries.setStored(e, offset, length, rec.timestamp);
    this.corrupt.delete(e);
    this.timeIndex.note(e, rec.timestamp);
    this.noteLast(rec);
  }

  private noteLast(rec: DecodedRecord): void {
    this.noteLastOf(rec.entryId, rec.lastAddConfirmed, rec.timestamp);
  }

  private noteLastOf(entryId: number, lastAddConfirmed: number, timestamp: number): void {
    if (entryId <= this.lastEntryId) return;
    this.lastEntryId = entryId;
    this.lastAddConfirmed = lastAddConfirmed;
    this.lastTimestamp = timestamp;
  }
}
