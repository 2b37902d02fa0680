/**
 * Reply status codes and the one table that maps each to its error class
 * (src/log/errors.ts), both ways: the node turns a failure into a status
 * with {@link statusOfError}, the client turns a status back into the same
 * class with {@link errorFromStatus}.
 */
import type { HerdError, HerdErrorOptions } from '../../errors.js';
import {
  BadRequestError,
  CorruptEntryError,
  FrameTooLargeError,
  NoEntryError,
  NodeClosingError,
  NodeStorageError,
  SegmentFencedError,
  UnsupportedVersionError,
} from '../errors.js';

/** Status of a reply (the header's `status` field). */
export const Status = {
  OK: 0,
  NO_ENTRY: 1,
  FENCED: 2,
  CORRUPT: 3,
  BAD_REQUEST: 4,
  TOO_LARGE: 5,
  UNSUPPORTED_VERSION: 6,
  NODE_STORAGE: 7,
  NODE_CLOSING: 8,
} as const;

/** A status name (`'FENCED'`, ...). */
export type StatusName = keyof typeof Status;

type ErrorClass = new (message: string, options?: HerdErrorOptions) => HerdError;

/** Every status other than OK, with the class a client rejects with; each class's `code` is its status's name. */
const ERRORS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [Status.NO_ENTRY, NoEntryError],
  [Status.FENCED, SegmentFencedError],
  [Status.CORRUPT, CorruptEntryError],
  [Status.BAD_REQUEST, BadRequestError],
  [Status.TOO_LARGE, FrameTooLargeError],
  [Status.UNSUPPORTED_VERSION, UnsupportedVersionError],
  [Status.NODE_STORAGE, NodeStorageError],
  [Status.NODE_CLOSING, NodeClosingError],
]);

const NAMES = new Map<number, StatusName>(Object.entries(Status).map(([name, code]) => [code, name as StatusName]));

/** The name of a status code, or `STATUS_<n>` for one this version does not know. */
export function statusName(status: number): string {
  return NAMES.get(status) ?? `STATUS_${status}`;
}

/**
 * The error a client rejects with for a reply of `status` (not OK) and the
 * node's `message`. A status this version does not know becomes a
 * NodeStorageError naming it: the request failed on the node, for a reason
 * only a newer client understands.
 */
export function errorFromStatus(status: number, message: string, options: HerdErrorOptions = {}): HerdError {
  const cls = ERRORS.get(status);
  if (cls !== undefined) return new cls(message, options);
  return new NodeStorageError(`${statusName(status)}: ${message}`, options);
}

/**
 * The status a node answers with for a failure. A status's name is the
 * `code` of its error class, so an error from any module with one of those
 * codes (the storage layer's SegmentFencedError, say) maps by its code;
 * anything else (I/O errors, a full disk) is NODE_STORAGE.
 */
export function statusOfError(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== 'OK' && Object.hasOwn(Status, code)) return Status[code as StatusName];
  return Status.NODE_STORAGE;
}
