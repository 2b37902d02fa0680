/**
 * Errors only the cluster layer throws (docs/conventions.md, section 1).
 * Each is a {@link HerdError} with a stable `code`; ZooKeeper failures keep
 * their own classes, and the outcomes every layer shares come from
 * src/errors.ts: {@link BadArgumentsError} for options that cannot work,
 * {@link InvalidStateError} for a node started twice, {@link SessionLostError}
 * as the reason of a tenure's aborted signal.
 */
import { BadArgumentsError, HerdError, type HerdErrorOptions } from '../errors.js';

/**
 * `joinCluster` was refused: a live member of the cluster already has this
 * member's `identifier`. Code `DUPLICATE_MEMBER`.
 */
export class DuplicateMemberError extends HerdError {
  override name = 'DuplicateMemberError';
  declare readonly code: 'DUPLICATE_MEMBER';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('DUPLICATE_MEMBER', message, options);
  }
}

/**
 * The call needs a member, and this node is not one: it has not joined
 * yet, or it is closing or closed (by `close()`, or by itself when
 * superseded). Code `NOT_MEMBER`.
 */
export class NotMemberError extends HerdError {
  override name = 'NotMemberError';
  declare readonly code: 'NOT_MEMBER';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NOT_MEMBER', message, options);
  }
}

/**
 * The backend's store (the coordination service, the shared directory)
 * cannot be reached or read right now. The `degraded` event's usual
 * payload, and the rejection of a join or read that could not reach it.
 * Code `BACKEND_UNAVAILABLE`; `cause` is the underlying failure.
 */
export class BackendUnavailableError extends HerdError {
  override name = 'BackendUnavailableError';
  declare readonly code: 'BACKEND_UNAVAILABLE';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

/**
 * A version string is not a semantic version (semver 2.0.0). An invalid
 * argument, so a {@link BadArgumentsError} (code `BADARGUMENTS`).
 */
export class InvalidVersionError extends BadArgumentsError {
  override name = 'InvalidVersionError';
}
