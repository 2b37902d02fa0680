/**
 * The contract between a cluster node ({@link ../cluster/node.ts}) and the
 * backend that keeps its membership and primary role: one with a
 * coordination service (ephemeral member nodes, an election, the session as
 * liveness) and one with only a shared directory and UDP heartbeats.
 *
 * The node owns the policy (which versions may run for primary, when a node
 * must exit, the order of callbacks on leave); a backend owns the mechanism
 * and reports what it sees. Keeping the split here lets both backends be
 * tested against the same node and the same isolation scenarios.
 */
import type { EventEmitter } from 'node:events';

/** A JSON value, as published in a member's data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What one member publishes about itself. */
export interface ClusterMember {
  /** The member's unique name in the cluster, chosen by the application (default `<hostname>-<pid>`). */
  readonly identifier: string;
  /** How other members reach it ('' when it published none). */
  readonly address: string;
  /** Its semver version. */
  readonly version: string;
  /** Application data it published (null when none). */
  readonly data: JsonValue;
  /** When it joined, ms since the epoch by its own clock. */
  readonly joinedAt: number;
}

/** Orders members by `identifier`, as every view lists them (not exported from the entry point). */
export function byIdentifier(a: ClusterMember, b: ClusterMember): number {
  return a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0;
}

/** Who holds the primary role, and the fencing epoch of that tenure. */
export interface PrimaryInfo {
  /** The primary member's `identifier`. */
  readonly identifier: string;
  /**
   * Fencing token: strictly greater for every new primary tenure in the
   * cluster's history, so downstream systems can reject a stale primary.
   */
  readonly epoch: number;
  /** When this tenure began, ms since the epoch by the primary's clock. */
  readonly since: number;
}

/** The cluster as a backend sees it at one moment. */
export interface ClusterView {
  /** Live members, this node included once it has joined, sorted by `identifier`. */
  readonly members: readonly ClusterMember[];
  /** The current primary, or null while there is none (or it is unknown). */
  readonly primary: PrimaryInfo | null;
}

/**
 * What a {@link ClusterBackend} reports to the node that owns it. Every
 * event has at most one payload argument.
 */
export interface ClusterBackendEvents {
  /** Membership or primary changed (also emitted once after `start`). */
  view: [ClusterView];
  /**
   * This node now holds the primary role, with the epoch of its tenure.
   * Emitted only while this node is a candidate.
   */
  elected: [PrimaryInfo];
  /**
   * This node no longer holds the primary role: it resigned, or lost it
   * (session expired, lease lost or not renewable). A backend emits this as
   * soon as it can no longer prove it holds the role, before any other node
   * can have been granted it.
   */
  deposed: [reason: string];
  /**
   * The backend cannot reach its store (coordination service or shared
   * directory): the view is frozen, no promotions happen.
   */
  degraded: [Error];
  /** The store is reachable again; a fresh `view` follows. */
  recovered: [];
}

/**
 * A membership-and-primary mechanism: implement it to keep a cluster in
 * another store, and pass it as `backend: { custom }` to `joinCluster`
 * (the node then owns it: it calls `start` once and `close` once). A backend
 * never throws from its event handlers; failures it can retry are reported
 * as `degraded` and retried.
 */
export interface ClusterBackend extends EventEmitter<ClusterBackendEvents> {
  /**
   * Publishes `self` and starts observing the cluster. Resolves once this
   * node is a member and the first `view` has been emitted. This node starts
   * as a non-candidate: it runs for primary only after `setCandidate(true)`.
   * Rejects with `DuplicateMemberError` when a live member has
   * `self.identifier`, `BackendUnavailableError` when the store cannot be
   * reached, `InvalidStateError` when called twice.
   */
  start(self: ClusterMember): Promise<void>;
  /**
   * Whether this node runs for primary. Setting false while primary resigns
   * the role (resolving after `deposed` has been emitted and the role is
   * free for another member).
   */
  setCandidate(candidate: boolean): Promise<void>;
  /** Replaces this node's published data. Rejects with `NotMemberError` unless started and not closed. */
  publish(data: JsonValue): Promise<void>;
  /**
   * Leaves the cluster: resigns the role if held, removes this member,
   * releases every resource (sockets, timers, client). Idempotent; resolves
   * once everything it started has stopped.
   */
  close(): Promise<void>;
}
