/**
 * The read side of NodeStorage (node-storage.ts): one entry, a range of
 * entries (decoded, or as the records' bytes), and which entries a node
 * holds (with an optional scrub). NodeStorage checks that it is open and
 * delegates here.
 */
import { BadArgumentsError } from '../../errors.js';
import { CorruptEntryError, storageError } from './errors.js';
import { decodeRecord, RECORD_HEADER } from './record.js';
import { checkRange } from './checks.js';
import { isId } from './options.js';
import type { RecordRun, Segment } from './segment.js';
import type { ReadRangeOptions, StoredEntry } from './types.js';

/** The segments read from, by id. */
export type SegmentMap = ReadonlyMap<number, Segment>;

/**
 * Reads one entry; undefined when this node does not hold it.
 * @throws CorruptEntryError when this node's copy fails its CRC32C (it counts as missing: read another replica).
 * @throws BadArgumentsError for invalid ids.
 * @throws StorageFailedError when the file system fails the read.
 */
export async function readEntry(segments: SegmentMap, segmentId: number, entryId: number): Promise<StoredEntry | undefined> {
  if (!isId(segmentId) || !isId(entryId)) throw new BadArgumentsError(`readEntry: ids must be non-negative safe integers, got ${String(segmentId)}/${String(entryId)}`);
  const rec = await segments
    .get(segmentId)
    ?.read(entryId)
    .catch((err: unknown) => {
      throw storageError(err, `readEntry: segment ${segmentId} entry ${entryId}`);
    });
  return rec && toStored(rec);
}

/**
 * Reads the entries of a segment within all the given bounds, in entry
 * order (entries this node does not hold are skipped). Time bounds start
 * the read from the sparse time index rather than entry 0.
 * @throws CorruptEntryError on reaching a corrupt copy, after the entries before it.
 * @throws BadArgumentsError for invalid bounds.
 * @throws StorageFailedError when the file system fails the read.
 */
export async function* readRange(segments: SegmentMap, segmentId: number, range: ReadRangeOptions = {}): AsyncGenerator<StoredEntry> {
  for await (const run of readRangeRuns(segments, segmentId, range)) {
    for (let i = 0, at = 0; i < run.count; i++) {
      yield toStored(decodeRecord(run.bytes, at));
      at += RECORD_HEADER + run.bytes.readUInt32BE(at);
    }
  }
}

/**
 * {@link readRange} as the records' bytes, a file read's worth at a time:
 * runs of whole entry records (src/log/storage/record.ts) of consecutive
 * entries, back to back as the segment file holds them, each record's
 * CRC32C checked and none decoded (up to 1 MiB a run). What the node's
 * READ_RANGE handler sends on as it is: one async step and one copy per
 * run, where decoding and encoding each entry was most of a range
 * read's cost on the node.
 * @throws the same as {@link readRange}.
 */
export async function* readRangeRuns(segments: SegmentMap, segmentId: number, range: ReadRangeOptions = {}): AsyncGenerator<RecordRun> {
  const bounds = checkRange(segmentId, range);
  const seg = segments.get(segmentId);
  if (!seg || bounds.limit === 0) return;
  try {
    yield* seg.runs(bounds);
  } catch (err) {
    throw storageError(err, `readRange: segment ${segmentId}`);
  }
}

/**
 * Which entries of a segment in [fromEntry, toEntry] this node holds a
 * good copy of: ascending inclusive ranges, at most `max`, and `next`, the
 * entry to ask from again when `max` cut the answer short (-1 when not).
 * With `verify`, every held entry of the range is first read and its
 * CRC32C checked (a scrub): a copy that fails is corrupt from then on (not
 * held, never served) until a good copy is added.
 * @throws BadArgumentsError for invalid ids; StorageFailedError when a read fails.
 */
export async function heldEntries(
  segments: SegmentMap,
  logger: (message: string) => void,
  segmentId: number,
  range: { fromEntry: number; toEntry: number; verify?: boolean },
  max: number,
): Promise<{ ranges: [number, number][]; next: number }> {
  const { fromEntry, toEntry } = range;
  if (!isId(segmentId) || !isId(fromEntry) || !isId(toEntry) || !isId(max) || max === 0) throw new BadArgumentsError('heldEntries: segment and entry ids must be non-negative safe integers, max positive');
  const seg = segments.get(segmentId);
  if (!seg) return { ranges: [], next: -1 };
  for (let e = fromEntry; range.verify === true && e <= toEntry; ) {
    try {
      for await (const batch of seg.range({ fromEntry: e, toEntry, fromTime: -Infinity, toTime: Infinity, limit: Infinity })) e = batch[batch.length - 1]!.entryId + 1;
      break;
    } catch (err) {
      if (!(err instanceof CorruptEntryError)) throw storageError(err, `heldEntries: segment ${segmentId}`);
      // Marked corrupt by the read; the scrub goes on after it.
      logger(`scrub: ${err.message}`);
      e = err.entryId + 1;
    }
  }
  return seg.heldRanges(fromEntry, toEntry, max);
}

function toStored(rec: StoredEntry): StoredEntry {
  return { segmentId: rec.segmentId, entryId: rec.entryId, timestamp: rec.timestamp, lastAddConfirmed: rec.lastAddConfirmed, data: rec.data };
}
