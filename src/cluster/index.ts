/**
 * `herd-zk/cluster`: membership and primary election for the instances of
 * a Node.js service. {@link joinCluster} makes this process a member of a
 * named cluster; every member sees the others (name, address, version,
 * data), exactly one member of the highest version is primary, and each is
 * told when that changes, with a fencing epoch for every primary tenure.
 *
 * Backends: `{ coordination: 'host:2181/herd' }` (Herd's server or a
 * ZooKeeper ensemble; recommended) or `{ sharedFs: dir }` (a shared
 * directory and UDP heartbeats, weaker guarantees). See docs/cluster.md.
 */
export { joinCluster, ClusterNode, diffMembers } from './node.js';
export type {
  JoinClusterOptions,
  ClusterNodeEvents,
  PrimaryContext,
  SecondaryContext,
  ExitInfo,
  MembersChange,
  VersionPolicy,
} from './node.js';
export type { ClusterMember, ClusterView, PrimaryInfo, JsonValue, ClusterBackend, ClusterBackendEvents } from './backend.js';
export { createBackend } from './create-backend.js';
export type { BackendSpec, CoordinationBackendSpec, SharedFsBackendSpec, CustomBackendSpec, HeartbeatTuning } from './create-backend.js';
export { CoordinationBackend, DEFAULT_SESSION_TIMEOUT_MS } from './coordination/backend.js';
export type { CoordinationBackendOptions } from './coordination/backend.js';
export { readCoordinationView, ClusterPaths } from './coordination/layout.js';
export { SharedFsBackend, readSharedFsView, DEFAULT_HEARTBEAT_PORT } from './shared-fs/index.js';
export type { SharedFsOptions, ReadSharedFsViewOptions } from './shared-fs/index.js';
export type { EpochRecord } from './coordination/layout.js';
export { parseVersion, compareVersions, isValidVersion } from './version.js';
export type { SemVer } from './version.js';
export { ClusterError, DuplicateNodeError, InvalidVersionError, ClusterConfigError, NotMemberError, BackendUnavailableError } from './errors.js';
