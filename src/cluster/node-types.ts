/**
 * The public types of a cluster node: its options, the contexts its
 * callbacks get, and its events (the node itself: ./node.ts).
 */
import type { ClusterMember, JsonValue, PrimaryInfo } from './backend.js';
import type { BackendSpec, HeartbeatTuning } from './create-backend.js';

/** What a node does when a member of a higher version is in the cluster: leave (`exit-on-newer`) or stay, never primary (`ignore`). */
export type VersionPolicy = 'exit-on-newer' | 'ignore';

/** Given to `onPrimary` and the `primary` event. */
export interface PrimaryContext {
  /** The fencing epoch of this tenure: greater than every earlier tenure's in the cluster. */
  readonly epoch: number;
  /**
   * Aborted when the tenure ends (resigned, deposed, closing); its reason is
   * a `SessionLostError` that says why.
   */
  readonly signal: AbortSignal;
}

/** Given to `onSecondary` and the `secondary` event: a tenure of this node ended. */
export interface SecondaryContext {
  /** The epoch of the tenure that ended. */
  readonly epoch: number;
  /** Why it ended (resigned, session expired, disconnected, leaving, ...), for logs. */
  readonly reason: string;
}

/** Given to `onExit` and the `exit` event: why a node left the cluster by itself. */
export interface ExitInfo {
  /** Why: `superseded`, a member of a higher version joined (the only reason today). */
  readonly reason: 'superseded';
  /** The member of a higher version that superseded this node. */
  readonly by: ClusterMember;
}

/** The `members` event: the full list and what changed. */
export interface MembersChange {
  /** Every live member now, sorted by `identifier`. */
  readonly members: readonly ClusterMember[];
  /** Members that were not in the previous view. */
  readonly joined: readonly ClusterMember[];
  /** Members of the previous view that are gone (as they were last seen). */
  readonly left: readonly ClusterMember[];
  /** Members whose address, version or data changed. */
  readonly updated: readonly ClusterMember[];
}

/** The `primaryChanged` event: the cluster's primary now and before (null while there is none). */
export interface PrimaryChange {
  readonly primary: PrimaryInfo | null;
  readonly previous: PrimaryInfo | null;
}

/** Options of `joinCluster`. Durations are in ms. */
export interface JoinClusterOptions extends HeartbeatTuning {
  /** The cluster's name (letters, digits, `.`, `_`, `-`). */
  readonly cluster: string;
  /** This member's unique name in the cluster (letters, digits, `.`, `_`, `-`). Default `<hostname>-<pid>`. */
  readonly identifier?: string;
  /** How other members reach this node. Default ''. */
  readonly address?: string;
  /** This node's semver version. Default '0.0.0'. */
  readonly version?: string;
  /** Application data published to the members. Default null. */
  readonly data?: JsonValue;
  /** Where membership is kept. */
  readonly backend: BackendSpec;
  /** Default 'exit-on-newer'. */
  readonly versionPolicy?: VersionPolicy;
  /**
   * How long leaving may wait for the callbacks and for a successor, in ms:
   * the default `timeout` of `ClusterNode.close`, and the bound of a
   * superseded node's leave. Default 30000.
   */
  readonly leaveTimeout?: number;
  /** This node became primary. */
  readonly onPrimary?: (context: PrimaryContext) => void | Promise<void>;
  /** This node's tenure as primary ended. */
  readonly onSecondary?: (context: SecondaryContext) => void | Promise<void>;
  /** This node left because a member of a higher version joined (exit-on-newer). */
  readonly onExit?: (info: ExitInfo) => void | Promise<void>;
}

/** Options of `ClusterNode.close`. */
export interface ClusterCloseOptions {
  /**
   * How long to wait for the running callbacks and for a successor before
   * leaving anyway, in ms. Default: the node's `leaveTimeout` (30000).
   */
  readonly timeout?: number;
}

/** The events of a `ClusterNode`; each has one payload argument (`recovered` none). */
export interface ClusterNodeEvents {
  /** A member joined, left, or changed its address, version or data. */
  members: [MembersChange];
  /** This node became primary (just before `onPrimary`). */
  primary: [PrimaryContext];
  /** This node's tenure ended (just before `onSecondary`). */
  secondary: [SecondaryContext];
  /** The cluster's primary changed (null while there is none), on every node. */
  primaryChanged: [PrimaryChange];
  /** This node left because a member of a higher version joined (before `onExit`). */
  exit: [ExitInfo];
  /** The backend cannot reach its store: the view is frozen, no promotions. Usually a `BackendUnavailableError`. */
  degraded: [Error];
  /** The store is reachable again; `members`/`primaryChanged` follow if anything changed. */
  recovered: [];
  /** A callback threw (only emitted when someone listens). */
  error: [Error];
}
