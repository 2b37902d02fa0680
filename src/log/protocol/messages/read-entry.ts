/**
 * READ_ENTRY (kind 2): one entry by position.
 *
 * ```
 * request  long segmentId, long entryId, bool fence
 * reply    the entry (./entry.ts); NO_ENTRY when this node does not have it,
 *          CORRUPT_ENTRY when its copy fails the CRC check
 * ```
 * `fence` makes it a recovery read: the node fences the segment (durably)
 * before reading, so no normal add from the old writer can land after the
 * recovery has read this node (BookKeeper #2614/#2616).
 */
import type { Codec } from '../../../jute/writer.js';
import { LogEntryCodec, type LogEntry } from './entry.js';
import { readLong } from './fields.js';
import type { Message } from './message.js';

export interface ReadEntryRequest {
  readonly segmentId: number;
  readonly entryId: number;
  /** Fence the segment before reading (a recovery read). */
  readonly fence: boolean;
}

export const ReadEntryRequestCodec: Codec<ReadEntryRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.entryId).bool(v.fence);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0), entryId: readLong(r, 'entryId', 0), fence: r.bool() };
  },
};

export const ReadEntry: Message<ReadEntryRequest, LogEntry> = {
  kind: 2,
  name: 'READ_ENTRY',
  request: ReadEntryRequestCodec,
  reply: LogEntryCodec,
  streamed: false,
};
