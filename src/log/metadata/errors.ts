/**
 * Errors of the log's metadata (docs/conventions.md, section 1). A record
 * that cannot be read is the recipes' UnexpectedDataError; an illegal
 * change is BadArgumentsError or InvalidStateError (src/errors.ts).
 */
import { HerdError, type HerdErrorOptions } from '../../errors.js';

/**
 * The record changed since it was read (its znode version moved): another
 * writer, a recovery or a repair got there first. Re-read and decide again;
 * for a writer this usually means it has been replaced.
 */
export class MetadataConflictError extends HerdError {
  override name = 'MetadataConflictError';
  declare readonly code: 'METADATA_CONFLICT';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('METADATA_CONFLICT', message, options);
  }
}

/** No log of that name exists. */
export class NoSuchLogError extends HerdError {
  override name = 'NoSuchLogError';
  declare readonly code: 'NO_SUCH_LOG';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NO_SUCH_LOG', message, options);
  }
}

/** No segment of that id exists (it was never created, or retention deleted it). */
export class NoSuchSegmentError extends HerdError {
  override name = 'NoSuchSegmentError';
  declare readonly code: 'NO_SUCH_SEGMENT';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NO_SUCH_SEGMENT', message, options);
  }
}
