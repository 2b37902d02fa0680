/**
 * Options of the sharedFs backend, and how their defaults derive from each
 * other. The defaults give a failover of about three seconds after a primary
 * dies (lease 3 s, margin 0.5 s) and drop a silent member from the view after
 * 1.5 s (three missed heartbeats at 500 ms).
 */
import { networkInterfaces } from 'node:os';
import { BadArgumentsError } from '../../errors.js';

/** Options of {@link SharedFsBackend}. Durations are in ms. */
export interface SharedFsOptions {
  /** The shared directory every node can reach (NFS, SMB, a local directory for one host). */
  dir: string;
  /** The cluster's name: its state lives under `<dir>/<cluster>/`. */
  cluster: string;
  /** UDP port to receive heartbeats on. Default 44330; 0 picks a free port (tests). */
  heartbeatPort?: number | undefined;
  /** Address the heartbeat socket binds to. Default '0.0.0.0'. */
  heartbeatBindHost?: string | undefined;
  /**
   * Address published for other nodes to send heartbeats to. Default: the
   * first non-internal IPv4 address of this host, else 127.0.0.1.
   */
  heartbeatHost?: string | undefined;
  /**
   * Port published for other nodes to send heartbeats to, when it differs
   * from the bound one (a NAT or relay in between; tests use a relay).
   * Default: the bound port.
   */
  heartbeatAdvertisePort?: number | undefined;
  /** How often a heartbeat goes to every member. Default 500. */
  heartbeatInterval?: number | undefined;
  /**
   * How long a member may stay silent before it leaves the view. The member
   * is removed once it has been silent for both this long and
   * `missedHeartbeats` intervals. Default `missedHeartbeats * heartbeatInterval`.
   */
  heartbeatTimeout?: number | undefined;
  /** Heartbeats a member may miss before it is removed. Default 3. */
  missedHeartbeats?: number | undefined;
  /** How often the lease file is read (the member files every other time). Default 250. */
  checkInterval?: number | undefined;
  /** Duration of the primary lease; the holder renews it every third of it. Default 3000. */
  leaseDuration?: number | undefined;
  /**
   * Safety margin around the lease's end: the holder steps down this long
   * before `expiresAt` by its clock, others take over only this long after
   * it by theirs. It must exceed the clock skew between nodes plus the
   * longest event-loop stall. Default `leaseDuration / 6` (500).
   */
  leaseMargin?: number | undefined;
  /**
   * A member file not rewritten for this long belongs to a dead (or
   * storage-less) process: it is deleted by whoever notices. Each node
   * rewrites its own every silence limit. Default
   * `max(4 * silence limit, 2 * leaseDuration)` (6000).
   */
  memberStaleAfter?: number | undefined;
  /** The wall clock (epoch ms), shared by every node through the files. Default Date.now. */
  now?: (() => number) | undefined;
}

/** Every option with its default applied. Durations in ms. */
export interface ResolvedSharedFsOptions {
  readonly dir: string;
  readonly cluster: string;
  readonly heartbeatPort: number;
  readonly heartbeatBindHost: string;
  readonly heartbeatHost: string;
  readonly heartbeatAdvertisePort: number | undefined;
  readonly heartbeatInterval: number;
  /** Silence after which a member leaves the view: max(timeout, missed * interval). */
  readonly silenceLimit: number;
  readonly checkInterval: number;
  readonly leaseDuration: number;
  readonly renewInterval: number;
  readonly leaseMargin: number;
  readonly memberRefreshInterval: number;
  readonly memberStaleAfter: number;
  readonly now: () => number;
}

/** The port in the example; any free UDP port works. */
export const DEFAULT_HEARTBEAT_PORT = 44330;

/** Cluster names become a directory name: keep them portable (NFS, SMB). */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new BadArgumentsError(`sharedFs: ${name} must be a positive number, got ${value}`);
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

/** Validates `options` and fills in the defaults. Throws {@link BadArgumentsError} for options that cannot work. */
export function resolveSharedFsOptions(options: SharedFsOptions): ResolvedSharedFsOptions {
  if (typeof options.dir !== 'string' || options.dir === '') throw new BadArgumentsError('sharedFs: dir is required');
  if (!CLUSTER_NAME.test(options.cluster)) {
    throw new BadArgumentsError(`sharedFs: cluster name ${JSON.stringify(options.cluster)} must match ${CLUSTER_NAME}`);
  }
  const port = options.heartbeatPort ?? DEFAULT_HEARTBEAT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadArgumentsError(`sharedFs: bad heartbeatPort ${port}`);
  const advertise = options.heartbeatAdvertisePort;
  if (advertise !== undefined && (!Number.isInteger(advertise) || advertise <= 0 || advertise > 65535)) {
    throw new BadArgumentsError(`sharedFs: bad heartbeatAdvertisePort ${advertise}`);
  }
  const interval = positive('heartbeatInterval', options.heartbeatInterval, 500);
  const missed = positive('missedHeartbeats', options.missedHeartbeats, 3);
  const timeout = positive('heartbeatTimeout', options.heartbeatTimeout, missed * interval);
  const silenceLimit = Math.max(timeout, missed * interval);
  const leaseDuration = positive('leaseDuration', options.leaseDuration, 3000);
  const leaseMargin = positive('leaseMargin', options.leaseMargin, leaseDuration / 6);
  const renewInterval = leaseDuration / 3;
  if (renewInterval >= leaseDuration - leaseMargin) {
    throw new BadArgumentsError(`sharedFs: leaseMargin (${leaseMargin}) must be under two thirds of leaseDuration (${leaseDuration})`);
  }
  return {
    dir: options.dir,
    cluster: options.cluster,
    heartbeatPort: port,
    heartbeatBindHost: options.heartbeatBindHost ?? '0.0.0.0',
    heartbeatHost: options.heartbeatHost ?? defaultHeartbeatHost(),
    heartbeatAdvertisePort: advertise,
    heartbeatInterval: interval,
    silenceLimit,
    checkInterval: positive('checkInterval', options.checkInterval, 250),
    leaseDuration,
    renewInterval,
    leaseMargin,
    memberRefreshInterval: silenceLimit,
    memberStaleAfter: positive('memberStaleAfter', options.memberStaleAfter, Math.max(4 * silenceLimit, 2 * leaseDuration)),
    now: options.now ?? Date.now,
  };
}
