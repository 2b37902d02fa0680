/**
 * Reply status codes and the one table that maps each to its error class
 * (src/log/errors.ts), both ways: the node turns a failure into a status
 * with {@link statusOfError}, the client turns a status back into the same
 * class with {@link errorFromStatus}. A status's name is the `code` of its
 * class, so an error maps by its code whichever module defined it.
 */
import { InvalidStateError, type HerdError } from '../../errors.js';
import {
  BadRequestError,
  CorruptEntryError,
  DiskFullError,
  EntryConflictError,
  FrameTooLargeError,
  NoEntryError,
  NodeClosingError,
  NodeError,
  SegmentFencedError,
  StorageFailedError,
  UnsupportedVersionError,
} from '../errors.js';

/** Status of a reply (the header's `status` field). */
export const Status = {
  OK: 0,
  NO_ENTRY: 1,
  SEGMENT_FENCED: 2,
  CORRUPT_ENTRY: 3,
  BAD_REQUEST: 4,
  TOO_LARGE: 5,
  UNSUPPORTED_VERSION: 6,
  ENTRY_CONFLICT: 7,
  DISK_FULL: 8,
  STORAGE_FAILED: 9,
  INVALID_STATE: 10,
  NODE_CLOSING: 11,
  NODE_ERROR: 12,
} as const;

/** A status name (`'SEGMENT_FENCED'`, ...). */
export type StatusName = keyof typeof Status;

/** What a failed reply is about, from the request it answers: what the error classes of the storage layer are built with. */
export interface StatusContext {
  readonly segmentId?: number | undefined;
  readonly entryId?: number | undefined;
}

type ErrorFactory = (message: string, context: StatusContext) => HerdError;

/**
 * The storage layer's classes build their own message from ids; the client
 * has a better one (the node's, with the node's address), so it replaces it.
 */
function withMessage<E extends HerdError>(error: E, message: string): E {
  error.message = message;
  error.stack = `${error.name}: ${message}${error.stack?.slice(error.stack.indexOf('\n')) ?? ''}`;
  return error;
}

const id = (n: number | undefined): number => n ?? -1;

/** Every status other than OK, with the error a client rejects with. */
const ERRORS: ReadonlyMap<number, ErrorFactory> = new Map<number, ErrorFactory>([
  [Status.NO_ENTRY, (m) => new NoEntryError(m)],
  [Status.SEGMENT_FENCED, (m, c) => withMessage(new SegmentFencedError(id(c.segmentId)), m)],
  // Which file and offset on the node is in the node's message; the client has no file of its own to name.
  [Status.CORRUPT_ENTRY, (m, c) => withMessage(new CorruptEntryError(id(c.segmentId), id(c.entryId), '(on the node)', -1, m), m)],
  [Status.BAD_REQUEST, (m) => new BadRequestError(m)],
  [Status.TOO_LARGE, (m) => new FrameTooLargeError(m)],
  [Status.UNSUPPORTED_VERSION, (m) => new UnsupportedVersionError(m)],
  [Status.ENTRY_CONFLICT, (m, c) => withMessage(new EntryConflictError(id(c.segmentId), id(c.entryId)), m)],
  [Status.DISK_FULL, (m) => new DiskFullError(m)],
  [Status.STORAGE_FAILED, (m) => new StorageFailedError(m)],
  [Status.INVALID_STATE, (m) => new InvalidStateError(m)],
  [Status.NODE_CLOSING, (m) => new NodeClosingError(m)],
  [Status.NODE_ERROR, (m) => new NodeError(m)],
]);

const NAMES = new Map<number, StatusName>(Object.entries(Status).map(([name, code]) => [code, name as StatusName]));

/** The name of a status code, or `STATUS_<n>` for one this version does not know. */
export function statusName(status: number): string {
  return NAMES.get(status) ?? `STATUS_${status}`;
}

/**
 * The error a client rejects with for a reply of `status` (not OK) and the
 * node's `message`. A status this version does not know becomes a
 * NodeError naming it: the request failed, for a reason only a newer
 * client understands.
 */
export function errorFromStatus(status: number, message: string, context: StatusContext = {}): HerdError {
  const factory = ERRORS.get(status);
  if (factory !== undefined) return factory(message, context);
  return new NodeError(`${statusName(status)}: ${message}`);
}

/**
 * The status a node answers with for a failure: the status named after the
 * error's `code`; BAD_REQUEST for an argument the storage layer refused
 * (BadArgumentsError: an entry too large, a timestamp going back); anything
 * else is NODE_ERROR.
 */
export function statusOfError(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'BADARGUMENTS') return Status.BAD_REQUEST;
  if (typeof code === 'string' && code !== 'OK' && Object.hasOwn(Status, code)) return Status[code as StatusName];
  return Status.NODE_ERROR;
}
