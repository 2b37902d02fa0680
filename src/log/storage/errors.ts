/**
 * The errors of the log's storage node (docs/conventions.md, section 1).
 * Invalid arguments are the shared `BadArgumentsError`; use after close is
 * the shared `InvalidStateError`.
 */
import { HerdError, type HerdErrorOptions } from '../../errors.js';

/**
 * The data directory cannot be trusted: a journal or checkpoint record
 * fails its checksum where no crash could have torn it. The storage refuses
 * to open rather than lose or invent acknowledged entries; an operator
 * must look at `file` at `offset` (or wipe the node and let the cluster
 * re-replicate onto it).
 */
export class CorruptStorageError extends HerdError {
  override name = 'CorruptStorageError';
  declare readonly code: 'CORRUPT_STORAGE';
  constructor(
    /** The file that is corrupt. */
    readonly file: string,
    /** Byte offset in `file` of the first bad record. */
    readonly offset: number,
    reason: string,
    options: HerdErrorOptions = {},
  ) {
    super('CORRUPT_STORAGE', `corrupt log storage: ${file} at offset ${offset}: ${reason}`, options);
  }
}

/**
 * One stored entry's copy is corrupt (its CRC32C does not match). It counts
 * as missing on this node: the cluster reads it from another replica and
 * repairs this one (an add of the same entry replaces the bad copy).
 */
export class CorruptEntryError extends HerdError {
  override name = 'CorruptEntryError';
  declare readonly code: 'CORRUPT_ENTRY';
  constructor(
    readonly segmentId: number,
    readonly entryId: number,
    /** The segment file holding the bad copy. */
    readonly file: string,
    /** Byte offset in `file` of the bad record. */
    readonly offset: number,
    reason: string,
  ) {
    super('CORRUPT_ENTRY', `segment ${segmentId} entry ${entryId}: corrupt copy in ${file} at offset ${offset}: ${reason}`);
  }
}

/** The segment is fenced on this node: only recovery adds are accepted (its writer has been replaced). */
export class SegmentFencedError extends HerdError {
  override name = 'SegmentFencedError';
  declare readonly code: 'SEGMENT_FENCED';
  constructor(readonly segmentId: number) {
    super('SEGMENT_FENCED', `segment ${segmentId} is fenced`);
  }
}

/**
 * An add of an entry that is already stored with different bytes. An entry
 * never changes once written; the same bytes again are accepted (a retry).
 */
export class EntryConflictError extends HerdError {
  override name = 'EntryConflictError';
  declare readonly code: 'ENTRY_CONFLICT';
  constructor(
    readonly segmentId: number,
    readonly entryId: number,
  ) {
    super('ENTRY_CONFLICT', `segment ${segmentId} entry ${entryId} is already stored with different bytes`);
  }
}

/**
 * The disk is full (ENOSPC, EDQUOT): the operation was not stored. Nothing
 * acknowledged before is lost, and operations succeed again once space
 * returns.
 */
export class DiskFullError extends HerdError {
  override name = 'DiskFullError';
  declare readonly code: 'DISK_FULL';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('DISK_FULL', message, options);
  }
}

/**
 * The file system failed the storage (EIO, EACCES, a failed fsync, ...);
 * `cause` is its error. After a failed journal write or fsync the disk's
 * state is unknown (the kernel may have dropped the dirty pages): the
 * storage stops accepting writes; reopen it to recover from what is
 * durable. A failed read or open changes nothing stored.
 */
export class StorageFailedError extends HerdError {
  override name = 'StorageFailedError';
  declare readonly code: 'STORAGE_FAILED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('STORAGE_FAILED', message, options);
  }
}

/** Whether `err` is the file system saying it has no space left. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * `err` as an error of this layer: itself when it is a HerdError,
 * {@link DiskFullError} when the disk is full, otherwise a
 * {@link StorageFailedError}; `what` says what failed and where.
 */
export function storageError(err: unknown, what: string): HerdError {
  if (err instanceof HerdError) return err;
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  return isDiskFull(err) ? new DiskFullError(message, { cause: err }) : new StorageFailedError(message, { cause: err });
}
