/**
 * Turns the `backend` option of `joinCluster` into a {@link ClusterBackend}.
 */
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';
import type { ClusterBackend } from './backend.js';
import { CoordinationBackend } from './coordination/backend.js';
import { SharedFsBackend } from './shared-fs/backend.js';

/** The coordination backend: a ZooKeeper-compatible service (Herd's server or a ZooKeeper ensemble). */
export interface CoordinationBackendSpec {
  /**
   * A connection string `host:port,.../chroot` (the node creates and owns its
   * client), or a connected or unconnected {@link Client} the caller owns.
   */
  readonly coordination: string | Client;
  /** Session timeout of a client the node creates, in ms: the failover time after a crash. Default 10000. */
  readonly sessionTimeout?: number;
  /** How long a disconnected primary keeps its role, in ms. Default 0 (deposed at once; see docs/cluster.md). */
  readonly suspendedTimeout?: number;
}

/** The sharedFs backend: a directory every node can reach, plus UDP heartbeats. */
export interface SharedFsBackendSpec {
  /** The shared directory (NFS, SMB, or a local directory for one host). */
  readonly sharedFs: string;
  /** UDP port to receive heartbeats on. Default 44330; 0 picks a free one. */
  readonly heartbeatPort?: number;
  /** Address published for heartbeats. Default: the first non-internal IPv4 address of the host. */
  readonly heartbeatHost?: string;
  /** Address the heartbeat socket binds to. Default '0.0.0.0'. */
  readonly heartbeatBindHost?: string;
  /** Port published for heartbeats when it differs from the bound one (a NAT or relay). Default: the bound port. */
  readonly heartbeatAdvertisePort?: number;
  /** Duration of the primary lease, in ms. Default 3000. */
  readonly leaseDuration?: number;
  /** Safety margin around the lease's end, in ms. Default `leaseDuration / 6`. */
  readonly leaseMargin?: number;
}

/** A backend built by the caller (another store, tests): the node owns it from then on. */
export interface CustomBackendSpec {
  /** The backend; `joinCluster` starts it and `close()` closes it. */
  readonly custom: ClusterBackend;
}

/** Where the cluster keeps its membership and primary role. */
export type BackendSpec = CoordinationBackendSpec | SharedFsBackendSpec | CustomBackendSpec;

/** Heartbeat and polling settings of the sharedFs backend (ignored by the others). All in ms but `missedHeartbeats`. */
export interface HeartbeatTuning {
  /** How often a heartbeat goes to every member, in ms. Default 500. */
  readonly heartbeatInterval?: number | undefined;
  /** How long a member may stay silent before it leaves the view, in ms. Default `missedHeartbeats * heartbeatInterval`. */
  readonly heartbeatTimeout?: number | undefined;
  /** Heartbeats a member may miss before it leaves the view. Default 3. */
  readonly missedHeartbeats?: number | undefined;
  /** How often the shared directory is read, in ms. Default 250. */
  readonly checkInterval?: number | undefined;
}

/** Throws {@link BadArgumentsError} unless `value` is undefined or a finite number of ms, 0 or more (more than 0 when `positive`). */
export function checkDuration(what: string, value: unknown, positive = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new BadArgumentsError(`${what} must be a number of ms, ${positive ? 'more than 0' : '0 or more'}, got ${String(value)}`);
  }
}

/** Builds the backend for `cluster`. Throws {@link BadArgumentsError} for an unusable spec. */
export function createBackend(cluster: string, spec: BackendSpec, tuning: HeartbeatTuning = {}): ClusterBackend {
  if (typeof spec !== 'object' || spec === null) throw new BadArgumentsError('backend option missing: { coordination } or { sharedFs }');
  if ('custom' in spec) return spec.custom;
  if ('coordination' in spec) {
    const { coordination, sessionTimeout, suspendedTimeout } = spec;
    if (typeof coordination === 'string' && coordination.trim() === '') throw new BadArgumentsError('empty coordination connection string');
    checkDuration('sessionTimeout', sessionTimeout, true);
    checkDuration('suspendedTimeout', suspendedTimeout);
    return new CoordinationBackend({
      cluster,
      coordination,
      ...(sessionTimeout === undefined ? {} : { sessionTimeout }),
      ...(suspendedTimeout === undefined ? {} : { suspendedTimeout }),
    });
  }
  if ('sharedFs' in spec) {
    const { heartbeatInterval, heartbeatTimeout, missedHeartbeats, checkInterval } = tuning;
    return new SharedFsBackend({
      dir: spec.sharedFs,
      cluster,
      heartbeatPort: spec.heartbeatPort,
      heartbeatHost: spec.heartbeatHost,
      heartbeatBindHost: spec.heartbeatBindHost,
      heartbeatAdvertisePort: spec.heartbeatAdvertisePort,
      leaseDuration: spec.leaseDuration,
      leaseMargin: spec.leaseMargin,
      heartbeatInterval,
      heartbeatTimeout,
      missedHeartbeats,
      checkInterval,
    });
  }
  throw new BadArgumentsError('backend option must have `coordination`, `sharedFs` or `custom`');
}
