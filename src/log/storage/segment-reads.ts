/**
 * Reading one segment's entries back (segment.ts holds the file and its
 * indexes; this is the read side of it): one entry by id, and range reads
 * as runs of whole records, each record's CRC32C checked in place before
 * anything is served. A copy that fails is marked corrupt on the segment
 * and reported with {@link CorruptEntryError}; nothing bad is ever returned.
 */
import type { HeldRecord } from './held-records.js';
import type { FileHandle } from 'node:fs/promises';
import { CorruptEntryError } from './errors.js';
import { checkRecord, claimedSegment, decodeRecord, ENTRY_BODY, RECORD_HEADER, recordEntryId, RecordKind, recordTimestamp, type DecodedRecord } from './record.js';
import type { EntryIndex } from './entry-index.js';
import type { TimeIndex } from './time-index.js';

/** Contiguous records read at once by a range read, at most. */
const RANGE_READ = 1024 * 1024;
/**
 * The first file read of a range read, doubled on each next one up to
 * {@link RANGE_READ}: the node sends nothing until a read's records are all
 * checked (some 8 ms for 1 MiB of 100-byte entries), so a small first read
 * starts the stream, and the reader's work, that much sooner.
 */
const FIRST_RANGE_READ = 64 * 1024;
/** The most records a run can hold: {@link RANGE_READ} of the smallest entry records (41 bytes, empty data). */
const MAX_RUN = Math.ceil(RANGE_READ / (RECORD_HEADER + ENTRY_BODY)) + 1;

/** Whole, checked records of consecutive entries, in entry order, back to back as a segment file holds them. */
export interface RecordRun {
  /** The records' bytes: a view into a read buffer, or a record held in memory. */
  readonly bytes: Buffer;
  /** Records in `bytes`, at least one. */
  readonly count: number;
}

/** The bounds of a range read, all inclusive, already validated. */
export interface SegmentRange {
  fromEntry: number;
  toEntry: number;
  fromTime: number;
  toTime: number;
  limit: number;
}

/** What the reads need of a Segment (segment.ts), which implements it. */
export interface ReadableSegment {
  readonly id: number;
  readonly path: string;
  readonly timeIndex: TimeIndex;
  /** Records durable in the journal that the file has not taken yet (held-records.ts). */
  readonly unwritten: { get(entryId: number): HeldRecord | undefined };
  readonly entries: EntryIndex;
  readonly corrupt: Map<number, { offset: number; reason: string }>;
  file(): Promise<FileHandle>;
}

/** Reads one entry; undefined when this node does not hold it. Throws {@link CorruptEntryError} for a bad copy. */
export async function readSegmentEntry(seg: ReadableSegment, entryId: number): Promise<DecodedRecord | undefined> {
  const mem = seg.unwritten.get(entryId);
  if (mem) return mem.decoded;
  const bad = seg.corrupt.get(entryId);
  if (bad) throw new CorruptEntryError(seg.id, entryId, seg.path, bad.offset, bad.reason);
  const offset = seg.entries.offset(entryId);
  if (offset < 0) return undefined;
  const buf = Buffer.allocUnsafe(seg.entries.length(entryId));
  await readAt(seg, buf, offset);
  return verified(seg, entryId, buf, 0, offset);
}

/**
 * The entries in `range` as runs of whole records, in entry order, a
 * file read's worth at a time: each run is the records' bytes as the file
 * holds them, every record checked (length, CRC32C, the entry it names)
 * and none decoded, so a node sends them on as they are (one async step
 * and one copy per run, not per entry). A bad copy throws
 * {@link CorruptEntryError} after the run of good entries before it.
 */
export async function* segmentRuns(seg: ReadableSegment, range: SegmentRange): AsyncGenerator<RecordRun> {
  let e = Math.max(range.fromEntry, seg.timeIndex.startFor(range.fromTime));
  const end = Math.min(range.toEntry + 1, seg.entries.limit, seg.timeIndex.endFor(range.toTime));
  let left = range.limit;
  let readSize = FIRST_RANGE_READ;
  // Each record's length in the run being read: filled by the index, read by the checks.
  const lengths = new Uint32Array(Math.max(1, Math.min(MAX_RUN, left, end - e)));
  while (left > 0) {
    // Skip the entries this node holds no copy of, a page at a time.
    const next = nextHeld(seg, e, end);
    if (next === undefined) break;
    e = next;
    // A run of records that lie back to back in the file, read at once.
    const run = seg.entries.storedRun(e, end, left, readSize, lengths);
    const start = run > 0 ? seg.entries.offset(e) : -1;
    let bytes = 0;
    for (let i = 0; i < run; i++) bytes += lengths[i]!;
    if (run === 0) {
      // Not in the file: held in memory until the file takes it, a corrupt copy (read throws), or not durable yet.
      const mem = seg.unwritten.get(e);
      if (mem === undefined) await readSegmentEntry(seg, e);
      e++;
      if (mem === undefined) continue;
      if (mem.decoded.timestamp > range.toTime) break;
      if (mem.decoded.timestamp >= range.fromTime) {
        left--;
        yield { bytes: mem.record, count: 1 };
      }
      continue;
    }
    const buf = Buffer.allocUnsafe(bytes);
    await readAt(seg, buf, start);
    readSize = Math.min(RANGE_READ, readSize * 2);
    // Timestamps never decrease along a segment: the records within the time bounds are one stretch of the run.
    let from = -1;
    let to = 0;
    let count = 0;
    let past = false;
    let bad: CorruptEntryError | undefined;
    for (let i = 0, at = 0; i < run; i++) {
      const length = lengths[i]!;
      const problem = recordProblem(seg, e + i, buf, at, length);
      if (problem !== null) {
        bad = corruptCopy(seg, e + i, start + at, problem);
        break;
      }
      const timestamp = recordTimestamp(buf, at);
      if (timestamp > range.toTime) {
        past = true;
        break;
      }
      if (timestamp >= range.fromTime) {
        if (from < 0) from = at;
        to = at + length;
        count++;
        if (--left === 0) break;
      }
      at += length;
    }
    e += run;
    if (count > 0) yield { bytes: buf.subarray(from, to), count };
    if (bad !== undefined) throw bad;
    if (past) break;
  }
}

/** {@link segmentRuns} decoded: arrays of records whose data are views into the runs. */
export async function* segmentRange(seg: ReadableSegment, range: SegmentRange): AsyncGenerator<DecodedRecord[]> {
  for await (const run of segmentRuns(seg, range)) {
    const out = new Array<DecodedRecord>(run.count);
    for (let i = 0, at = 0; i < run.count; i++) {
      out[i] = decodeRecord(run.bytes, at);
      at += RECORD_HEADER + run.bytes.readUInt32BE(at);
    }
    yield out;
  }
}

function verified(seg: ReadableSegment, entryId: number, buf: Buffer, at: number, offset: number): DecodedRecord {
  const problem = recordProblem(seg, entryId, buf, at, seg.entries.length(entryId));
  if (problem !== null) throw corruptCopy(seg, entryId, offset, problem);
  return decodeRecord(buf, at);
}

/**
 * What is wrong with entry `entryId`'s record at `at` in `buf`, whose
 * length the index says is `length`, or null. Checked in place: nothing is
 * allocated for a good one.
 */
function recordProblem(seg: ReadableSegment, entryId: number, buf: Buffer, at: number, length: number): string | null {
  // The index's length bounds the record, as a view's end would.
  if (at + 4 > buf.length || buf.readUInt32BE(at) + RECORD_HEADER !== length) return 'record length differs from the index';
  const problem = checkRecord(buf, at);
  if (problem !== null) return problem;
  if (buf[at + RECORD_HEADER] !== RecordKind.entry || claimedSegment(buf, at) !== seg.id || recordEntryId(buf, at) !== entryId) return 'record of another entry';
  return null;
}

/** Marks the copy of `entryId` corrupt (not held, never served until a good copy is added); the error to throw. */
function corruptCopy(seg: ReadableSegment, entryId: number, offset: number, problem: string): CorruptEntryError {
  seg.entries.clear(entryId);
  seg.corrupt.set(entryId, { offset, reason: problem });
  return new CorruptEntryError(seg.id, entryId, seg.path, offset, problem);
}

async function readAt(seg: ReadableSegment, buf: Buffer, offset: number): Promise<void> {
  const fh = await seg.file();
  for (let got = 0; got < buf.length; ) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
    if (bytesRead === 0) {
      buf.fill(0, got);
      return;
    }
    got += bytesRead;
  }
}

/** The lowest entry in [from, end) this node has a copy of (coming, stored or corrupt), or undefined. */
function nextHeld(seg: ReadableSegment, from: number, end: number): number | undefined {
  let next = seg.entries.nextWithTimestamp(from, end);
  for (const e of seg.corrupt.keys()) if (e >= from && e < end && (next === undefined || e < next)) next = e;
  return next;
}
