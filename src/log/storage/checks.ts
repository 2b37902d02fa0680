/**
 * What NodeStorage refuses before any I/O: the arguments of its adds and
 * range reads, each checked here once, with BadArgumentsError naming the
 * call and the field.
 */
import { BadArgumentsError } from '../../errors.js';
import { isId } from './options.js';
import type { SegmentRange } from './segment.js';
import type { ReadRangeOptions, StoredBatch, StoredEntry } from './types.js';

/** `entry` when it is a valid entry of at most `maxEntrySize` bytes; else throws BadArgumentsError. */
export function checkEntry(entry: StoredEntry, maxEntrySize: number): StoredEntry {
  const { segmentId, entryId, timestamp, lastAddConfirmed, data } = entry ?? ({} as StoredEntry);
  if (!isId(segmentId)) throw new BadArgumentsError(`addEntry: segmentId must be a non-negative safe integer, got ${String(segmentId)}`);
  if (!isId(entryId)) throw new BadArgumentsError(`addEntry: entryId must be a non-negative safe integer, got ${String(entryId)}`);
  if (!Number.isSafeInteger(timestamp)) throw new BadArgumentsError(`addEntry: timestamp must be a safe integer (epoch ms), got ${String(timestamp)}`);
  if (!Number.isSafeInteger(lastAddConfirmed) || lastAddConfirmed < -1) throw new BadArgumentsError(`addEntry: lastAddConfirmed must be -1 or an entry id, got ${String(lastAddConfirmed)}`);
  if (!Buffer.isBuffer(data)) throw new BadArgumentsError('addEntry: data must be a Buffer');
  if (data.length > maxEntrySize) throw new BadArgumentsError(`addEntry: data is ${data.length} bytes, more than maxEntrySize ${maxEntrySize}`);
  return entry;
}

/** `batch` when its ids, timestamps and data are valid (each entry at most `maxEntrySize` bytes); else throws BadArgumentsError. */
export function checkBatch(batch: StoredBatch, maxEntrySize: number): StoredBatch {
  const { segmentId, firstEntryId, lastAddConfirmed, entries } = batch ?? ({} as StoredBatch);
  if (!isId(segmentId)) throw new BadArgumentsError(`addEntries: segmentId must be a non-negative safe integer, got ${String(segmentId)}`);
  if (!isId(firstEntryId)) throw new BadArgumentsError(`addEntries: firstEntryId must be a non-negative safe integer, got ${String(firstEntryId)}`);
  if (!Number.isSafeInteger(lastAddConfirmed) || lastAddConfirmed < -1) throw new BadArgumentsError(`addEntries: lastAddConfirmed must be -1 or an entry id, got ${String(lastAddConfirmed)}`);
  if (!Array.isArray(entries) || !isId(firstEntryId + entries.length)) throw new BadArgumentsError('addEntries: entries must be an array, its ids safe integers');
  // An index loop: no [index, entry] pair per entry on the path of every batch.
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!Number.isSafeInteger(e?.timestamp)) throw new BadArgumentsError(`addEntries: entries[${i}].timestamp must be a safe integer (epoch ms), got ${String(e?.timestamp)}`);
    if (!Buffer.isBuffer(e.data)) throw new BadArgumentsError(`addEntries: entries[${i}].data must be a Buffer`);
    if (e.data.length > maxEntrySize) throw new BadArgumentsError(`addEntries: entries[${i}] is ${e.data.length} bytes, more than maxEntrySize ${maxEntrySize}`);
  }
  return batch;
}

/** The bounds of a range read of `segmentId` with their defaults; throws BadArgumentsError for invalid ones. */
export function checkRange(segmentId: number, range: ReadRangeOptions): SegmentRange {
  const { fromEntry = 0, toEntry = Number.MAX_SAFE_INTEGER, fromTime = -Infinity, toTime = Infinity, limit = Infinity } = range;
  if (!isId(segmentId) || !isId(fromEntry) || !isId(toEntry)) throw new BadArgumentsError('readRange: segment and entry ids must be non-negative safe integers');
  if (typeof fromTime !== 'number' || typeof toTime !== 'number' || Number.isNaN(fromTime) || Number.isNaN(toTime)) throw new BadArgumentsError('readRange: fromTime and toTime must be numbers (epoch ms)');
  if (!(limit === Infinity || isId(limit))) throw new BadArgumentsError(`readRange: limit must be a non-negative integer, got ${String(limit)}`);
  return { fromEntry, toEntry, fromTime, toTime, limit };
}
