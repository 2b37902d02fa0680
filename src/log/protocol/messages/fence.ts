/**
 * FENCE (kind 4): fence a segment on this node (durably, before the reply):
 * from then on, normal adds to it are answered SEGMENT_FENCED; recovery adds still
 * land. Fencing a segment the node has never seen fences it too, so an old
 * writer's first add cannot arrive late and succeed.
 *
 * ```
 * request  long segmentId
 * reply    long lastEntryId, long lastAddConfirmed  (-1 when the node has none)
 * ```
 */
import type { Codec } from '../../../jute/writer.js';
import { readLong } from './fields.js';
import type { Message } from './message.js';

export interface SegmentRequest {
  readonly segmentId: number;
}

export interface FenceReply {
  /** The highest entry id this node stores for the segment; -1 for none. */
  readonly lastEntryId: number;
  /** The highest last-add-confirmed among those entries; -1 for none. */
  readonly lastAddConfirmed: number;
}

export const SegmentRequestCodec: Codec<SegmentRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0) };
  },
};

export const FenceReplyCodec: Codec<FenceReply> = {
  write(w, v) {
    w.longNumber(v.lastEntryId).longNumber(v.lastAddConfirmed);
  },
  read(r) {
    return { lastEntryId: readLong(r, 'lastEntryId', -1), lastAddConfirmed: readLong(r, 'lastAddConfirmed', -1) };
  },
};

export const Fence: Message<SegmentRequest, FenceReply> = {
  kind: 4,
  name: 'FENCE',
  request: SegmentRequestCodec,
  reply: FenceReplyCodec,
  streamed: false,
};
