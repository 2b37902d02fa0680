/** Herd's ZooKeeper client. */
export { createClient, Client } from './client.js';
export type {
  ClientEvents,
  RawReply,
  WatchOptions,
  GetChildrenOptions,
  RemoveWatchesOptions,
  WatchStreamOptions,
  AddWatchOptions,
} from './call-options.js';
export type { ClientOptions, AuthInfo, ClientTlsOptions } from './options.js';
export type { ClientState, StateChange } from './state.js';
export type {
  WatchEvent,
  WatchEventType,
  WatchListener,
  ResyncEvent,
  ResyncReason,
  PersistentWatchEvent,
  PersistentWatchListener,
} from './watch-event.js';
export type { WatcherKind, PersistentWatchKind } from './watch-registry.js';
export type { WatchStream } from './watch-stream.js';
export { op, isTransactionError } from './transaction.js';
export type {
  CreateOptions,
  TransactionOp,
  ReadOp,
  TransactionResult,
  TransactionOpError,
  ReadResult,
  TransactionError,
} from './transaction.js';
export type { CreateModeName } from './create-mode.js';
export type { Data } from './data.js';
export { Acls, ANYONE_ID, AUTH_IDS, digestId } from './acl.js';
export type { BackoffOptions } from './backoff.js';
export type { Clock } from '../base/clock.js';
export { retry, isTransientError } from './retry.js';
export type { RetryPolicy } from './retry.js';
