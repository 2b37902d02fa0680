/**
 * Options of the sharedFs backend, and how their defaults derive from each
 * other. The defaults give a failover of about three seconds after a primary
 * dies (lease 3 s, margin 0.5 s) and drop a silent member from the view after
 * 1.5 s (three missed heartbeats at 500 ms).
 */
import { networkInterfaces } from 'node:os';
import { ClusterConfigError } from '../errors.js';

/** Options of {@link SharedFsBackend}. Times are in milliseconds. */
export interface SharedFsOptions {
  /** The shared directory every node can reach (NFS, SMB, a local directory for one host). */
  dir: string;
  /** The cluster's name: its state lives under `<dir>/<cluster>/`. */
  cluster: string;
  /** UDP port to receive heartbeats on. Default 44330; 0 picks a free port (tests). */
  heartbeatPort?: number;
  /** Address the heartbeat socket binds to. Default '0.0.0.0'. */
  heartbeatBindHost?: string;
  /**
   * Address published for other nodes to send heartbeats to. Default: the
   * first non-internal IPv4 address of this host, else 127.0.0.1.
   */
  heartbeatHost?: string;
  /**
   * Port published for other nodes to send heartbeats to, when it differs
   * from the bound one (a NAT or relay in between; tests use a relay).
   * Default: the bound port.
   */
  heartbeatAdvertisePort?: number;
  /** How often a heartbeat goes to every member. Default 500. */
  heartbeatIntervalMs?: number;
  /**
   * How long a member may stay silent before it leaves the view. The member
   * is removed once it has been silent for both this long and
   * `missedHeartbeats` intervals. Default `missedHeartbeats * heartbeatIntervalMs`.
   */
  heartbeatTimeoutMs?: number;
  /** Heartbeats a member may miss before it is removed. Default 3. */
  missedHeartbeats?: number;
  /** How often the lease file is read (the member files every other time). Default 250. */
  checkIntervalMs?: number;
  /** Duration of the primary lease; the holder renews it every third of it. Default 3000. */
  leaseMs?: number;
  /**
   * Safety margin around the lease's end: the holder steps down this long
   * before `expiresAt` by its clock, others take over only this long after
   * it by theirs. It must exceed the clock skew between nodes plus the
   * longest event-loop stall. Default `leaseMs / 6` (500).
   */
  leaseMarginMs?: number;
  /**
   * A member file not rewritten for this long belongs to a dead (or
   * storage-less) process: it is deleted by whoever notices. Each node
   * rewrites its own every `heartbeatTimeout`. Default
   * `max(4 * heartbeatTimeout, 2 * leaseMs)`.
   */
  memberStaleMs?: number;
  /** The clock (epoch ms). Default Date.now. */
  now?: () => number;
}

/** Every option with its default applied. */
export interface ResolvedSharedFsOptions {
  readonly dir: string;
  readonly cluster: string;
  readonly heartbeatPort: number;
  readonly heartbeatBindHost: string;
  readonly heartbeatHost: string;
  readonly heartbeatAdvertisePort: number | undefined;
  readonly heartbeatIntervalMs: number;
  /** Silence after which a member leaves the view: max(timeout, missed * interval). */
  readonly silenceMs: number;
  readonly checkIntervalMs: number;
  readonly leaseMs: number;
  readonly renewIntervalMs: number;
  readonly leaseMarginMs: number;
  readonly memberRefreshMs: number;
  readonly memberStaleMs: number;
  readonly now: () => number;
}

/** The port in the example; any free UDP port works. */
export const DEFAULT_HEARTBEAT_PORT = 44330;

/** Cluster names become a directory name: keep them portable (NFS, SMB). */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ClusterConfigError(`sharedFs: ${name} must be a positive number, got ${value}`);
  return value;
}

/** The first non-internal IPv4 address, so other hosts can reach us by default. */
export function defaultHeartbeatHost(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

/** Validates `options` and fills in the defaults. */
export function resolveSharedFsOptions(options: SharedFsOptions): ResolvedSharedFsOptions {
  if (typeof options.dir !== 'string' || options.dir === '') throw new ClusterConfigError('sharedFs: dir is required');
  if (!CLUSTER_NAME.test(options.cluster)) {
    throw new ClusterConfigError(`sharedFs: cluster name ${JSON.stringify(options.cluster)} must match ${CLUSTER_NAME}`);
  }
  const port = options.heartbeatPort ?? DEFAULT_HEARTBEAT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClusterConfigError(`sharedFs: bad heartbeatPort ${port}`);
  const advertise = options.heartbeatAdvertisePort;
  if (advertise !== undefined && (!Number.isInteger(advertise) || advertise <= 0 || advertise > 65535)) {
    throw new ClusterConfigError(`sharedFs: bad heartbeatAdvertisePort ${advertise}`);
  }
  const interval = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 500);
  const missed = positive('missedHeartbeats', options.missedHeartbeats, 3);
  const timeout = positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs, missed * interval);
  const silenceMs = Math.max(timeout, missed * interval);
  const leaseMs = positive('leaseMs', options.leaseMs, 3000);
  const leaseMarginMs = positive('leaseMarginMs', options.leaseMarginMs, leaseMs / 6);
  const renewIntervalMs = leaseMs / 3;
  if (renewIntervalMs >= leaseMs - leaseMarginMs) {
    throw new ClusterConfigError(`sharedFs: leaseMarginMs (${leaseMarginMs}) must be under two thirds of leaseMs (${leaseMs})`);
  }
  return {
    dir: options.dir,
    cluster: options.cluster,
    heartbeatPort: port,
    heartbeatBindHost: options.heartbeatBindHost ?? '0.0.0.0',
    heartbeatHost: options.heartbeatHost ?? defaultHeartbeatHost(),
    heartbeatAdvertisePort: advertise,
    heartbeatIntervalMs: interval,
    silenceMs,
    checkIntervalMs: positive('checkIntervalMs', options.checkIntervalMs, 250),
    leaseMs,
    renewIntervalMs,
    leaseMarginMs,
    memberRefreshMs: silenceMs,
    memberStaleMs: positive('memberStaleMs', options.memberStaleMs, Math.max(4 * silenceMs, 2 * leaseMs)),
    now: options.now ?? Date.now,
  };
}
