/**
 * READ_LAST_ENTRY (kind 5): the last entry this node stores for a segment,
 * with its last-add-confirmed (BookKeeper's readLastConfirmed asks every
 * node of the ensemble this). Does not fence.
 *
 * ```
 * request  long segmentId
 * reply    long entryId, long lastAddConfirmed, long timestamp; NO_ENTRY when the node has none
 * ```
 */
import type { Codec } from '../../../jute/writer.js';
import { SegmentRequestCodec, type SegmentRequest } from './fence.js';
import { readLong } from './fields.js';
import type { Message } from './message.js';

export interface LastEntryReply {
  readonly entryId: number;
  readonly lastAddConfirmed: number;
  /** Epoch ms. */
  readonly timestamp: number;
}

export const LastEntryReplyCodec: Codec<LastEntryReply> = {
  write(w, v) {
    w.longNumber(v.entryId).longNumber(v.lastAddConfirmed).longNumber(v.timestamp);
  },
  read(r) {
    return { entryId: readLong(r, 'entryId', 0), lastAddConfirmed: readLong(r, 'lastAddConfirmed', -1), timestamp: readLong(r, 'timestamp', 0) };
  },
};

export const ReadLastEntry: Message<SegmentRequest, LastEntryReply> = {
  kind: 5,
  name: 'READ_LAST_ENTRY',
  request: SegmentRequestCodec,
  reply: LastEntryReplyCodec,
  streamed: false,
};
