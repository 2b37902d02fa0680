/**
 * An entry a segment writer has added and not yet acknowledged, with what
 * its send path and its ensemble changes track of it: the nodes it went
 * to and the nodes that confirmed it. One object per entry: it is also the
 * entry the add requests encode (./request-runs.ts).
 */
import type { LogEntry } from '../protocol/messages/entry.js';
import type { LogPosition } from './position.js';

/** What waits for a batch's acknowledgement: on the batch's last entry only (acknowledgements are in entry order). */
export interface BatchWaiter {
  /** The batch's first entry id. */
  readonly first: number;
  resolve(positions: LogPosition[]): void;
  reject(error: unknown): void;
}

/** An unacknowledged entry, with the CRC32C of its data (computed once however many nodes it goes to). */
export interface PendingAdd extends LogEntry {
  readonly crc32c: number;
  /** Nodes of its write set that confirmed it (W at most: an array costs less than a set per entry). */
  acked: string[];
  /** Nodes it was sent to (in flight or confirmed). */
  sent: string[];
  /** On the last entry of a batch only: its acknowledgement is the batch's. */
  readonly batch: BatchWaiter | undefined;
}

/** The positions of entries `first`..`last` of a segment. */
export function positions(segmentId: number, first: number, last: number): LogPosition[] {
  const out = new Array<LogPosition>(last - first + 1);
  for (let e = first; e <= last; e++) out[e - first] = { segmentId, entryId: e };
  return out;
}
