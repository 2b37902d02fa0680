/**
 * Errors of the log layer (docs/conventions.md, section 1). Each extends
 * {@link HerdError} with a stable `code`. The storage-node protocol carries
 * the first group as reply status codes (src/log/protocol/status.ts maps
 * status <-> class in one table), so a caller sees the same class whether
 * the failure happened in its own process or on a node.
 *
 * Shared outcomes keep their shared classes: a request that got no reply in
 * time is a {@link TimeoutError}, a call on a closed node client is a
 * {@link ClientClosedError}, an invalid argument a {@link BadArgumentsError}.
 */
import { HerdError, type HerdErrorOptions } from '../errors.js';

export { BadArgumentsError, ClientClosedError, HerdError, TimeoutError } from '../errors.js';

/** The entry (or the whole segment) is not stored on this node. */
export class NoEntryError extends HerdError {
  override name = 'NoEntryError';
  declare readonly code: 'NO_ENTRY';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NO_ENTRY', message, options);
  }
}

/**
 * The segment is fenced on this node: a recovery (or a new writer) took it
 * over, so a normal add from its old writer is refused. The old writer must
 * stop writing this segment.
 */
export class SegmentFencedError extends HerdError {
  override name = 'SegmentFencedError';
  declare readonly code: 'FENCED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('FENCED', message, options);
  }
}

/** The node's copy of the entry failed its CRC check: it is never served; read another replica. */
export class CorruptEntryError extends HerdError {
  override name = 'CorruptEntryError';
  declare readonly code: 'CORRUPT';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('CORRUPT', message, options);
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
 * The node's storage failed the request (an I/O error, a full disk). Nothing
 * was acknowledged; the same request may succeed later or on another node.
 */
export class NodeStorageError extends HerdError {
  override name = 'NodeStorageError';
  declare readonly code: 'NODE_STORAGE';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NODE_STORAGE', message, options);
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
