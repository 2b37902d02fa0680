/**
 * The argument checks of the storage node client's requests: each returns
 * the BadArgumentsError to reject with, or undefined, so a request is
 * refused before anything is sent.
 */
import { BadArgumentsError } from '../../errors.js';
import type { LogEntry } from '../protocol/messages/entry.js';

/** `v` as an id: a safe integer of at least `min`. */
export function checkId(v: number, field: string, what: string, min = 0): BadArgumentsError | undefined {
  return Number.isSafeInteger(v) && v >= min ? undefined : new BadArgumentsError(`${what}: ${field} must be a safe integer of at least ${min}, got ${v}`);
}

/** An optional id: absent, or as {@link checkId}. */
export function checkOptional(v: number | undefined, field: string, what: string): BadArgumentsError | undefined {
  return v === undefined ? undefined : checkId(v, field, what);
}

/** A whole entry: an object with a Buffer `data` and id fields in range. */
export function checkEntry(e: LogEntry, what: string): BadArgumentsError | undefined {
  if (typeof e !== 'object' || e === null) return new BadArgumentsError(`${what}: entry missing`);
  if (!(e.data instanceof Uint8Array)) return new BadArgumentsError(`${what}: data must be a Buffer`);
  return (
    checkId(e.segmentId, 'segmentId', what) ??
    checkId(e.entryId, 'entryId', what) ??
    checkId(e.timestamp, 'timestamp', what) ??
    checkId(e.lastAddConfirmed, 'lastAddConfirmed', what, -1)
  );
}
