/**
 * The disk side of a Herd log storage node (issue 13): a journal with group
 * commit and fsync before every acknowledgement, segment files with CRC32C
 * per entry and a sparse time index, fencing, retention, and recovery that
 * truncates a torn tail and refuses corruption. The node's network server
 * builds on {@link NodeStorage}.
 */
export { NodeStorage } from './node-storage.js';
export type { RecordRun } from './segment.js';
export type {
  AddEntryOptions,
  FenceResult,
  LastEntry,
  NodeStorageOptions,
  NodeStorageStats,
  ReadRangeOptions,
  StoredBatch,
  StoredEntry,
} from './types.js';
// The shared errors its methods throw too, so one import covers every outcome.
export { BadArgumentsError, HerdError, InvalidStateError } from '../../errors.js';
export { CorruptEntryError, CorruptStorageError, DiskFullError, EntryConflictError, SegmentFencedError, StorageFailedError } from './errors.js';
export { shouldFlush, type FlushLimits, type FlushState, type FlushTrigger } from './group-commit.js';
export { crc32c } from './crc32c.js';
