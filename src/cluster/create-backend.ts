/**
 * Turns the `backend` option of `joinCluster` into a {@link ClusterBackend}.
 */
import type { Client } from '../client/index.js';
import type { ClusterBackend } from './backend.js';
import { CoordinationBackend } from './coordination/backend.js';
import { ClusterConfigError } from './errors.js';
import { SharedFsBackend } from './shared-fs/backend.js';

/** The coordination backend: a ZooKeeper-compatible service (Herd's server or a ZooKeeper ensemble). */
export interface CoordinationBackendSpec {
  /**
   * A connection string `host:port,.../chroot` (the node creates and owns its
   * client), or a connected or unconnected {@link Client} the caller owns.
   */
  readonly coordination: string | Client;
  /** Session timeout of a client the node creates, in ms: the failover time after a crash. Default 10000. */
  readonly sessionTimeoutMs?: number;
  /** How long a disconnected primary keeps its role, in ms. Default 0 (deposed at once; see docs/cluster.md). */
  readonly suspendedTimeoutMs?: number;
}

/** The sharedFs backend: a directory every node can reach, plus UDP heartbeats. */
export interface SharedFsBackendSpec {
  /** The shared directory (NFS, SMB, or a local directory for one host). */
  readonly sharedFs: string;
  /** UDP port to receive heartbeats on (0 picks a free one). */
  readonly heartbeatPort?: number;
  /** Address published for heartbeats. */
  readonly heartbeatHost?: string;
  /** Address the heartbeat socket binds to. */
  readonly heartbeatBindHost?: string;
  /** Port published for heartbeats when it differs from the bound one (a relay). */
  readonly heartbeatAdvertisePort?: number;
  /** Duration of the primary lease, in ms. */
  readonly leaseMs?: number;
  /** Safety margin around the lease's end, in ms. */
  readonly leaseMarginMs?: number;
}

/** A backend built by the caller (tests, other stores). */
export interface CustomBackendSpec {
  readonly custom: ClusterBackend;
}

/** Where the cluster keeps its membership and primary role. */
export type BackendSpec = CoordinationBackendSpec | SharedFsBackendSpec | CustomBackendSpec;

/** Heartbeat and polling settings (used by the sharedFs backend). */
export interface HeartbeatTuning {
  readonly heartbeatIntervalMs?: number | undefined;
  readonly heartbeatTimeoutMs?: number | undefined;
  readonly missedHeartbeats?: number | undefined;
  readonly checkIntervalMs?: number | undefined;
}

/** Builds the backend for `cluster`. Throws {@link ClusterConfigError} for an unusable spec. */
export function createBackend(cluster: string, spec: BackendSpec, tuning: HeartbeatTuning = {}): ClusterBackend {
  if (typeof spec !== 'object' || spec === null) throw new ClusterConfigError('backend option missing: { coordination } or { sharedFs }');
  if ('custom' in spec) return spec.custom;
  if ('coordination' in spec) {
    const { coordination, sessionTimeoutMs, suspendedTimeoutMs } = spec;
    if (typeof coordination === 'string' && coordination.trim() === '') throw new ClusterConfigError('empty coordination connection string');
    return new CoordinationBackend({
      cluster,
      coordination,
      ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
      ...(suspendedTimeoutMs === undefined ? {} : { suspendedTimeoutMs }),
    });
  }
  if ('sharedFs' in spec) {
    const { heartbeatIntervalMs, heartbeatTimeoutMs, missedHeartbeats, checkIntervalMs } = tuning;
    return new SharedFsBackend({
      dir: spec.sharedFs,
      cluster,
      heartbeatPort: spec.heartbeatPort,
      heartbeatHost: spec.heartbeatHost,
      heartbeatBindHost: spec.heartbeatBindHost,
      heartbeatAdvertisePort: spec.heartbeatAdvertisePort,
      leaseMs: spec.leaseMs,
      leaseMarginMs: spec.leaseMarginMs,
      heartbeatIntervalMs,
      heartbeatTimeoutMs,
      missedHeartbeats,
      checkIntervalMs,
    });
  }
  throw new ClusterConfigError('backend option must have `coordination` or `sharedFs`');
}
