/**
 * `herd-zk/recipes`: coordination recipes on Herd's client, compatible with
 * Kazoo's node layouts (and Curator's where Kazoo has none), usable against
 * Herd's server and Apache ZooKeeper alike. Each recipe's file documents its
 * node layout, failure handling and limits.
 */
export { Lock, ReadLock, WriteLock, LOCK_NODE_NAME, READ_LOCK_NODE_NAME } from './lock.js';
export type { LockOptions, AcquireOptions, LockEvents } from './lock.js';
export { Semaphore } from './semaphore.js';
export type { SemaphoreOptions } from './semaphore.js';
export { Election } from './election.js';
export type { ElectionOptions, ElectionEvents } from './election.js';
export { LeaderLatch, LATCH_NODE_NAME } from './leader-latch.js';
export type { LeaderLatchOptions, LeaderLatchEvents } from './leader-latch.js';
export { Party, ShallowParty, PARTY_NODE_NAME } from './party.js';
export type { PartyOptions, PartyEvents } from './party.js';
export { Counter } from './counter.js';
export type { CounterOptions, CounterChange } from './counter.js';
export { Barrier, DoubleBarrier } from './barrier.js';
export type { DoubleBarrierOptions, WaitOptions } from './barrier.js';
export { Queue, LockingQueue } from './queue.js';
export type { PutOptions } from './queue.js';
export { RecipeError, LockTimeoutError, CancelledError, SessionLostError } from './errors.js';
export type { HoldOptions } from './internal/index.js';
export { NonBlockingLease, MultiNonBlockingLease, Lease, readLeaseHolder, formatLeaseTime, LEASE_HOLDER_NODE } from './lease.js';
export type { LeaseOptions, LeaseHolder } from './lease.js';
export { SetPartitioner, roundRobinPartition } from './set-partitioner.js';
export type { PartitionState, PartitionFunc, SetPartitionerOptions, SetPartitionerEvents } from './set-partitioner.js';
export { DataWatch, ChildrenWatch } from './watchers.js';
export type { DataWatchFn, ChildrenWatchFn, WatcherOptions } from './watchers.js';
export { TreeCache } from './tree-cache.js';
export type { CachedNode, TreeCacheEvents } from './tree-cache.js';
export { PersistentNode } from './persistent-node.js';
export type { PersistentNodeMode, PersistentNodeEvents } from './persistent-node.js';
export { SharedConfig } from './shared-config.js';
export type { SharedConfigOptions, SharedConfigEvents } from './shared-config.js';
export { LeaderSelector } from './leader-selector.js';
export type { LeaderSelectorOptions, LeaderSelectorEvents } from './leader-selector.js';
