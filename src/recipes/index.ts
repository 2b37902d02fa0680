/**
 * `herd-zk/recipes`: coordination recipes on Herd's client, compatible with
 * Kazoo's node layouts (and Curator's where Kazoo has none), usable against
 * Herd's server and Apache ZooKeeper alike. Each recipe's file documents its
 * node layout, failure handling and limits.
 *
 * Every recipe follows docs/conventions.md: blocking calls take
 * `{ timeout, signal }` and reject with TimeoutError / CancelledError (or
 * the session's end: SessionExpiredError, ClientClosedError,
 * AuthFailedError); participants are named by `identifier`; objects that
 * run in the background have `start()` / `close()` and
 * `[Symbol.asyncDispose]`; timers run on the client's `clock`.
 */
export { Lock, ReadLock, WriteLock } from './lock.js';
export type { LockOptions, AcquireOptions, LockEvents, Held, HoldOptions } from './lock.js';
export { Semaphore } from './semaphore.js';
export type { SemaphoreOptions, SemaphoreEvents } from './semaphore.js';
export { Election } from './election.js';
export type { ElectionOptions, ElectionEvents } from './election.js';
export { LeaderLatch } from './leader-latch.js';
export type { LeaderLatchOptions, LeaderLatchEvents } from './leader-latch.js';
export { LeaderSelector } from './leader-selector.js';
export type { LeaderSelectorOptions, LeaderSelectorEvents } from './leader-selector.js';
export { Party, ShallowParty } from './party.js';
export type { PartyOptions, PartyEvents } from './party.js';
export { Counter } from './counter.js';
export type { CounterOptions, CounterChange } from './counter.js';
export { Barrier, DoubleBarrier } from './barrier.js';
export type { DoubleBarrierOptions } from './barrier.js';
export { Queue, LockingQueue } from './queue.js';
export type { PutOptions } from './queue.js';
export { NonBlockingLease, MultiNonBlockingLease, Lease, readLeaseHolder } from './lease.js';
export type { LeaseOptions, MultiLeaseOptions, LeaseHolder } from './lease.js';
export { SetPartitioner, roundRobinPartition } from './set-partitioner.js';
export type { PartitionState, PartitionFunc, SetPartitionerOptions, SetPartitionerEvents } from './set-partitioner.js';
export { DataWatch, ChildrenWatch } from './watchers.js';
export type { DataWatchFn, ChildrenWatchFn, WatcherOptions } from './watchers.js';
export { TreeCache } from './tree-cache.js';
export type { CachedNode, TreeCacheChange, TreeCacheEvents } from './tree-cache.js';
export { PersistentNode } from './persistent-node.js';
export type { PersistentNodeMode, PersistentNodeOptions, PersistentNodeEvents } from './persistent-node.js';
export { SharedConfig } from './shared-config.js';
export type { SharedConfigOptions, SharedConfigValue, SharedConfigEvents } from './shared-config.js';
/** The options of every blocking call: `timeout` (ms) and `signal`. */
export type { WaitOptions } from '../base/wait.js';
/** The errors the recipes throw (docs/conventions.md, section 1). */
export { UnexpectedDataError } from './errors.js';
export {
  HerdError,
  TimeoutError,
  CancelledError,
  ClientClosedError,
  InvalidStateError,
  SessionLostError,
  BadArgumentsError,
  SessionExpiredError,
  AuthFailedError,
} from '../errors.js';
