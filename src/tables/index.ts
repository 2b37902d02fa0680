/**
 * herd-zk/tables: a replicated in-memory database, a full copy on every
 * node, committed through Herd's log (docs/tables.md).
 */
export { openTables, Tables } from './tables.js';
export type { QuorumInfo, TablesEvents, TablesMember } from './node-types.js';
export type { LocalReadOptions, LocalReads, OpenTablesOptions, ReadOptions, TransactionOptions, TransactionResult } from './options.js';
export type { TablesLogOptions } from './primary.js';
export type { SnapshotLoad, SnapshotStatus } from './snapshots/keeper.js';
export type { TablesPersistenceOptions, TablesSnapshotOptions, TruncatePolicy } from './snapshots/options.js';
export type { Transaction } from './transaction.js';
export type { TablesLogNodeOptions, TablesTlsOptions } from './hosting/options.js';
export type { Pem, TlsPeerOptions, TlsServerOptions } from '../base/tls.js';
export type { ChangesOptions } from './changes.js';
export { retry, type RetryOptions } from './retry.js';
export { isStaleRead, type StalenessInput } from './applied.js';
export { TABLES_ROOT } from './quorum.js';
export type { Change, RejectionInfo } from './state/apply.js';
export type { Row, RowKey } from './state/codec.js';
export { DEFAULT_MAX_ROW_BYTES, type StandardSchemaV1, type TableDefinition, type TableDefinitions } from './state/definitions.js';
export type { IndexQuery, Position } from './state/store.js';
export {
  BadArgumentsError,
  CancelledError,
  ClientClosedError,
  CorruptSnapshotError,
  CorruptTransactionError,
  DivergedError,
  DuplicateMemberError,
  HerdError,
  HistoryUnavailableError,
  InvalidStateError,
  NodeAuthenticationError,
  OutcomeUnknownError,
  QuorumLostError,
  RowTooLargeError,
  SchemaViolationError,
  StaleReadError,
  TimeoutError,
  TransactionConflictError,
  UnknownIndexError,
  UnknownTableError,
} from './errors.js';
export { dumpTable, listTables, readTablesStatus, type TablesMemberStatus, type TablesStatus } from './status.js';
