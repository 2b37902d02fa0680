/**
 * Where an entry sits in a log. A log is an ordered list of segments and
 * segment ids only grow (they come from one counter: metadata/layout.ts),
 * so positions compare by segment id, then entry id: {@link comparePositions}
 * orders a log's entries as they were appended.
 */
import { BadArgumentsError } from '../../errors.js';

/** An entry's position in its log: the segment it is in and its id within it (from 0). */
export interface LogPosition {
  /** The segment's id (global, growing along the log). */
  readonly segmentId: number;
  /** The entry's id within the segment, from 0. */
  readonly entryId: number;
}

/** Negative when `a` comes before `b` in their log, 0 when equal, positive after. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.segmentId !== b.segmentId ? a.segmentId - b.segmentId : a.entryId - b.entryId;
}

/** True when `value` looks like a LogPosition (two safe non-negative integers). */
export function isPosition(value: unknown): value is LogPosition {
  if (typeof value !== 'object' || value === null || value instanceof Date) return false;
  const p = value as Partial<LogPosition>;
  return Number.isSafeInteger(p.segmentId) && Number.isSafeInteger(p.entryId) && p.segmentId! >= 0 && p.entryId! >= 0;
}

/** Throws BadArgumentsError unless `value` is a LogPosition. */
export function checkPosition(value: unknown, what: string): LogPosition {
  if (!isPosition(value)) throw new BadArgumentsError(`${what} must be a position { segmentId, entryId } of non-negative integers`);
  return value;
}
