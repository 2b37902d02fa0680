/**
 * Errors of the tables layer (docs/conventions.md, section 1). Each extends
 * {@link HerdError} with a stable `code`, or {@link BadArgumentsError} for
 * bad input caught before anything is sent (the subclass name says which
 * check failed, as InvalidVersionError does for the cluster).
 */
import { BadArgumentsError, HerdError, type HerdErrorOptions } from '../errors.js';

export {
  BadArgumentsError,
  CancelledError,
  ClientClosedError,
  HerdError,
  InvalidStateError,
  TimeoutError,
} from '../errors.js';
export { DuplicateMemberError } from '../cluster/errors.js';
/** openTables with `tls` that does not match the cluster's storage nodes (or without `tls` when they want it). */
export { NodeAuthenticationError } from '../log/node/tls.js';

/**
 * A transaction lost the optimistic race: a row it read (`table`, `key`)
 * was written by another transaction before its own entry was applied.
 * Nothing of it was applied anywhere; rerun it (`retries`, {@link retry}).
 */
export class TransactionConflictError extends HerdError {
  override name = 'TransactionConflictError';
  declare readonly code: 'TRANSACTION_CONFLICT';
  constructor(
    /** The table of the row that changed. */
    readonly table: string,
    /** The key of the row that changed. */
    readonly key: string | number,
    options: HerdErrorOptions = {},
  ) {
    super('TRANSACTION_CONFLICT', `transaction conflict on ${table}/${String(key)}: the row changed after it was read`, options);
  }
}

/**
 * The connected members hold no more than half of the total weight: the
 * tables refuse writes until a quorum is back (`quorumRegained`).
 */
export class QuorumLostError extends HerdError {
  override name = 'QuorumLostError';
  declare readonly code: 'QUORUM_LOST';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('QUORUM_LOST', message, options);
  }
}

/**
 * This node's copy disagrees with the primary's checksum at the same log
 * position: it serves no reads until it has resynced from a snapshot.
 */
export class DivergedError extends HerdError {
  override name = 'DivergedError';
  declare readonly code: 'DIVERGED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('DIVERGED', message, options);
  }
}

/**
 * A snapshot failed its own checksum or format check; it was not loaded.
 */
export class CorruptSnapshotError extends HerdError {
  override name = 'CorruptSnapshotError';
  declare readonly code: 'CORRUPT_SNAPSHOT';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('CORRUPT_SNAPSHOT', message, options);
  }
}

/**
 * A log entry could not be decoded as a tables transaction: the log is
 * corrupt or was written by something else. The node stops applying.
 */
export class CorruptTransactionError extends HerdError {
  override name = 'CorruptTransactionError';
  declare readonly code: 'CORRUPT_TRANSACTION';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('CORRUPT_TRANSACTION', message, options);
  }
}

/** A table name that is not declared in `openTables({ tables })`. Code `BADARGUMENTS`. */
export class UnknownTableError extends BadArgumentsError {
  override name = 'UnknownTableError';
}

/** An index name that is not declared in its table's `indexes`. Code `BADARGUMENTS`. */
export class UnknownIndexError extends BadArgumentsError {
  override name = 'UnknownIndexError';
}

/** A row that its table's Standard Schema rejects, or that lacks its key field. Code `BADARGUMENTS`. */
export class SchemaViolationError extends BadArgumentsError {
  override name = 'SchemaViolationError';
}

/** A row whose encoding is larger than its table's `maxRowBytes`. Code `BADARGUMENTS`. */
export class RowTooLargeError extends BadArgumentsError {
  override name = 'RowTooLargeError';
}

/** `changes({ from })` names a position older than the change history this node keeps. */
export class HistoryUnavailableError extends HerdError {
  override name = 'HistoryUnavailableError';
  declare readonly code: 'HISTORY_UNAVAILABLE';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('HISTORY_UNAVAILABLE', message, options);
  }
}

/** A local read with `maxStaleness` found this node behind for longer than that. */
export class StaleReadError extends HerdError {
  override name = 'StaleReadError';
  declare readonly code: 'STALE_READ';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('STALE_READ', message, options);
  }
}

/** Internal: a forwarded transaction reached a node that is not (or no longer) the primary; the sender retries. */
export class NotPrimaryError extends HerdError {
  override name = 'NotPrimaryError';
  declare readonly code: 'NOT_PRIMARY';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NOT_PRIMARY', message, options);
  }
}

/**
 * A transaction's outcome cannot be known: its entry was sent to a primary
 * that was then lost, and this node can no longer tell whether the log
 * holds it (it loaded a snapshot past the point where it would be, so the
 * entry's id was never seen here). It may or may not have committed; read
 * the rows it wrote to find out. Every other primary change is resolved
 * with the transaction's real outcome (see docs/tables.md, "Failover").
 */
export class OutcomeUnknownError extends HerdError {
  override name = 'OutcomeUnknownError';
  declare readonly code: 'OUTCOME_UNKNOWN';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('OUTCOME_UNKNOWN', message, options);
  }
}
