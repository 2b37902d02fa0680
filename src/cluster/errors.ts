/**
 * Errors of the cluster layer. ZooKeeper failures keep their own classes
 * (src/errors.ts); these are the cluster-level outcomes.
 */

/** Base of the cluster errors. */
export class ClusterError extends Error {
  override name = 'ClusterError';
}

/** A node asked to join with a name another live member already has. */
export class DuplicateNodeError extends ClusterError {
  override name = 'DuplicateNodeError';
}

/** A version string is not a semantic version (semver 2.0.0). */
export class InvalidVersionError extends ClusterError {
  override name = 'InvalidVersionError';
}

/** Options that cannot work: a bad cluster or node name, an unknown backend. */
export class ClusterConfigError extends ClusterError {
  override name = 'ClusterConfigError';
}

/** The node has left (or is leaving) the cluster: the operation needs a member. */
export class NotMemberError extends ClusterError {
  override name = 'NotMemberError';
}

/** The backend's store (coordination service, shared directory) cannot be reached right now. */
export class BackendUnavailableError extends ClusterError {
  override name = 'BackendUnavailableError';
}
