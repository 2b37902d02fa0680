/**
 * WAIT_CONFIRMED (kind 7): a long poll for a tailing reader (BookKeeper's
 * readLacLongPoll). The node answers as soon as its last-add-confirmed for
 * the segment (the highest one piggybacked on the entries it stores) passes
 * `afterEntry`, the segment is fenced (a recovery is closing it: the reader
 * turns to the metadata), or `timeout` ms have passed, whichever is first;
 * at once when one already holds.
 *
 * ```
 * request  long segmentId, long afterEntry (-1: any entry), int timeout (ms, at least 0)
 * reply    long lastEntryId, long lastAddConfirmed (-1 when none), bool fenced
 * ```
 * A reply says where the node is, not that anything changed: a reader
 * compares `lastAddConfirmed` with what it asked for. A node that holds
 * nothing of the segment waits all the same (the writer's first entries
 * may be on their way).
 */
import type { Codec } from '../../../jute/writer.js';
import { readInt, readLong } from './fields.js';
import type { Message } from './message.js';

/** The body of a WAIT_CONFIRMED request. */
export interface WaitConfirmedRequest {
  readonly segmentId: number;
  /** Answer once the last-add-confirmed is greater than this; -1 for any confirmed entry. */
  readonly afterEntry: number;
  /** The longest the node holds the request, ms. */
  readonly timeout: number;
}

/** Where a node is for a segment when it answers WAIT_CONFIRMED (`LogNodeClient.waitConfirmed`). */
export interface WaitConfirmedReply {
  /** The highest entry id this node stores for the segment; -1 for none. */
  readonly lastEntryId: number;
  /** The highest last-add-confirmed among those entries; -1 for none. */
  readonly lastAddConfirmed: number;
  /** Whether the segment is fenced on this node. */
  readonly fenced: boolean;
}

export const WaitConfirmedRequestCodec: Codec<WaitConfirmedRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.afterEntry).int(v.timeout);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0), afterEntry: readLong(r, 'afterEntry', -1), timeout: readInt(r, 'timeout', 0) };
  },
};

export const WaitConfirmedReplyCodec: Codec<WaitConfirmedReply> = {
  write(w, v) {
    w.longNumber(v.lastEntryId).longNumber(v.lastAddConfirmed).bool(v.fenced);
  },
  read(r) {
    return { lastEntryId: readLong(r, 'lastEntryId', -1), lastAddConfirmed: readLong(r, 'lastAddConfirmed', -1), fenced: r.bool() };
  },
};

export const WaitConfirmed: Message<WaitConfirmedRequest, WaitConfirmedReply> = {
  kind: 7,
  name: 'WAIT_CONFIRMED',
  request: WaitConfirmedRequestCodec,
  reply: WaitConfirmedReplyCodec,
  streamed: false,
};
