/**
 * Errors of the log layer (docs/conventions.md, section 1). Each extends
 * {@link HerdError} with a stable `code`. The storage layer's own errors
 * (src/log/storage/errors.ts: SegmentFencedError, CorruptEntryError, ...)
 * are re-exported here, so this file is the list of everything the log
 * throws. The storage-node protocol carries request failures as reply
 * status codes named after these codes (src/log/protocol/status.ts maps
 * status <-> class in one table), so a caller sees the same class whether
 * the failure happened in its own process or on a node.
 *
 * Shared outcomes keep their shared classes: a request that got no reply in
 * time is a {@link TimeoutError}, a call on a closed node client is a
 * {@link ClientClosedError}, an invalid argument a {@link BadArgumentsError}.
 */
import { HerdError, type HerdErrorOptions } from '../errors.js';

export { BadArgumentsError, ClientClosedError, HerdError, InvalidStateError, TimeoutError } from '../errors.js';
export {
  CorruptEntryError,
  CorruptStorageError,
  DiskFullError,
  EntryConflictError,
  SegmentFencedError,
  StorageFailedError,
} from './storage/errors.js';

/** The entry (or the whole segment) is not stored on this node. */
export class NoEntryError extends HerdError {
  override name = 'NoEntryError';
  declare readonly code: 'NO_ENTRY';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NO_ENTRY', message, options);
  }
}

/**
 * The node could not decode a request (a field out of range, a truncated
 * body, an unknown message kind): a bug or a version skew in the sender.
 * The connection stays usable.
 */
export class BadRequestError extends HerdError {
  override name = 'BadRequestError';
  declare readonly code: 'BAD_REQUEST';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('BAD_REQUEST', message, options);
  }
}

/** A request frame was larger than the node's `maxFrameSize`; it was skipped unread and the connection kept. */
export class FrameTooLargeError extends HerdError {
  override name = 'FrameTooLargeError';
  declare readonly code: 'TOO_LARGE';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('TOO_LARGE', message, options);
  }
}

/** The node does not speak the protocol version of the request. */
export class UnsupportedVersionError extends HerdError {
  override name = 'UnsupportedVersionError';
  declare readonly code: 'UNSUPPORTED_VERSION';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('UNSUPPORTED_VERSION', message, options);
  }
}

/**
 * The node failed a request for a reason that has no status of its own
 * (an unexpected error in the node): the message says what. Nothing was
 * acknowledged.
 */
export class NodeError extends HerdError {
  override name = 'NodeError';
  declare readonly code: 'NODE_ERROR';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NODE_ERROR', message, options);
  }
}

/** The node is shutting down: the request was not carried out (or its outcome was not confirmed). */
export class NodeClosingError extends HerdError {
  override name = 'NodeClosingError';
  declare readonly code: 'NODE_CLOSING';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NODE_CLOSING', message, options);
  }
}

/**
 * The connection to a storage node could not be made or was lost. A request
 * pending at that moment may or may not have been carried out (an add may
 * be stored); the caller decides, as for any unacknowledged write.
 */
export class NodeDisconnectedError extends HerdError {
  override name = 'NodeDisconnectedError';
  declare readonly code: 'NODE_DISCONNECTED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NODE_DISCONNECTED', message, options);
  }
}

/**
 * A peer broke the protocol: a reply that cannot be decoded, a reply to a
 * request never sent, a frame larger than allowed. The connection is
 * dropped, as Pyro4's proxy does, because nothing after it can be trusted.
 */
export class LogProtocolError extends HerdError {
  override name = 'LogProtocolError';
  declare readonly code: 'PROTOCOL_ERROR';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('PROTOCOL_ERROR', message, options);
  }
}

/**
 * A storage node refused to start because its address's cookie
 * (`/herd/log/cookies/<host>:<port>`) names another instance while this
 * data directory holds segments, or cannot be read: the data directory
 * belongs to another node (moved or copied), or the address to a node
 * whose data this one does not have. Taking the address over would let
 * readers trust the wrong copy (BookKeeper's cookie check). An empty data
 * directory (a wiped node) takes the address over instead. If the instance
 * the cookie names is retired for good, delete the cookie and start again.
 */
export class CookieMismatchError extends HerdError {
  override name = 'CookieMismatchError';
  declare readonly code: 'COOKIE_MISMATCH';
  /**
   * @param path the cookie's path in the coordination store (also `err.path`)
   * @param cookieInstanceId the instance id the cookie names; undefined when it cannot be read
   * @param instanceId this node's instance id
   */
  constructor(
    path: string,
    readonly cookieInstanceId: string | undefined,
    readonly instanceId: string,
    message: string,
  ) {
    super('COOKIE_MISMATCH', message, { path });
  }
}

/**
 * A storage node refused to start because its instance id is registered
 * by a live node at another address: the same data directory (or a copy
 * of it) is already serving. A previous run at the same address is
 * replaced at once; one at another address (say, started with `port: 0`)
 * is only gone once its session expires, after the session timeout.
 */
export class InstanceInUseError extends HerdError {
  override name = 'InstanceInUseError';
  declare readonly code: 'INSTANCE_IN_USE';
  constructor(
    /** This node's instance id. */
    readonly instanceId: string,
    /** `host:port` of the live registration. */
    readonly registeredAddress: string,
  ) {
    super(
      'INSTANCE_IN_USE',
      `log node instance ${instanceId} is already registered by a live node at ${registeredAddress}: ` +
        `its data directory is in use there (or copied); if that node is dead, start again once its session has expired`,
    );
  }
}

export { MetadataConflictError, NoSuchLogError, NoSuchSegmentError } from './metadata/errors.js';

/**
 * The log's writer was replaced: another writer (or a recovery) fenced its
 * segment, or changed the segment's metadata under it. Every append that
 * was not acknowledged before rejects with this, and so does every later
 * one; nothing is acknowledged after the fence. Open the log again to
 * write (which recovers it in turn). `segmentId` is the fenced segment.
 */
export class WriterFencedError extends HerdError {
  override name = 'WriterFencedError';
  declare readonly code: 'WRITER_FENCED';
  constructor(
    /** The segment this writer was writing when it was fenced. */
    readonly segmentId: number,
    message: string,
    options: HerdErrorOptions = {},
  ) {
    super('WRITER_FENCED', message, options);
  }
}

/**
 * Too few live storage nodes for what was asked: fewer registered than the
 * ensemble size (opening a segment, replacing a failed node), or too few
 * answering to fence a segment or read its entries. Nothing was changed
 * that a retry, once nodes are back, would not finish.
 */
export class NotEnoughNodesError extends HerdError {
  override name = 'NotEnoughNodesError';
  declare readonly code: 'NOT_ENOUGH_NODES';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NOT_ENOUGH_NODES', message, options);
  }
}
