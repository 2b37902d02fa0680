/**
 * `herd-zk/cluster`: membership and primary election for the instances of
 * a Node.js service. {@link joinCluster} makes this process a member of a
 * named cluster; every member sees the others (identifier, address,
 * version, data), exactly one member of the highest version is primary,
 * and each is told when that changes, with a fencing epoch for every
 * primary tenure. The node ends with `close()` (or `await using`).
 *
 * Backends: `{ coordination: 'host:2181/herd' }` (Herd's server or a
 * ZooKeeper ensemble; recommended), `{ sharedFs: dir }` (a shared
 * directory and UDP heartbeats, weaker guarantees), or `{ custom }` (a
 * {@link ClusterBackend} of your own). See docs/cluster.md.
 */
export { joinCluster, ClusterNode } from './node.js';
export type {
  JoinClusterOptions,
  ClusterCloseOptions,
  ClusterNodeEvents,
  PrimaryContext,
  SecondaryContext,
  ExitInfo,
  MembersChange,
  PrimaryChange,
  VersionPolicy,
} from './node-types.js';
export type { ClusterMember, ClusterView, PrimaryInfo, JsonValue, ClusterBackend, ClusterBackendEvents } from './backend.js';
export type { BackendSpec, CoordinationBackendSpec, SharedFsBackendSpec, CustomBackendSpec, HeartbeatTuning } from './create-backend.js';
export { readCoordinationView } from './coordination/layout.js';
export { readSharedFsView, type ReadSharedFsViewOptions } from './shared-fs/view.js';
export { DuplicateMemberError, NotMemberError, BackendUnavailableError, InvalidVersionError } from './errors.js';
// What the cluster's functions throw besides its own errors (docs/conventions.md, section 1).
export { HerdError, BadArgumentsError, InvalidStateError, SessionLostError } from '../errors.js';
