/**
 * CONFIRM (kind 9): the writer's explicit last-add-confirmed (BookKeeper's
 * explicit LAC). Readers learn what is acknowledged from the
 * last-add-confirmed piggybacked on the next add; when a writer goes idle
 * after an acknowledgement, no next add comes, so the writer sends this
 * instead, after `explicitConfirmDelay` ms without one.
 *
 * ```
 * request  long segmentId, long lastAddConfirmed
 * reply    (empty)
 * ```
 * A hint, kept in memory and not journaled: it only wakes the node's long
 * polls (WAIT_CONFIRMED) sooner. A node never lets it move a segment's
 * last-add-confirmed backwards, nor past the last entry it stores (a reader
 * told "confirmed up to e" by a node finds e there); after a restart the
 * node knows again what the entries it stores carry.
 */
import type { Codec } from '../../../jute/writer.js';
import { readLong } from './fields.js';
import { EmptyCodec, type Message } from './message.js';

/** The body of a CONFIRM request. */
export interface ConfirmRequest {
  readonly segmentId: number;
  /** The highest entry id the writer has acknowledged. */
  readonly lastAddConfirmed: number;
}

export const ConfirmRequestCodec: Codec<ConfirmRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.lastAddConfirmed);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0), lastAddConfirmed: readLong(r, 'lastAddConfirmed', 0) };
  },
};

export const Confirm: Message<ConfirmRequest, Record<string, never>> = {
  kind: 9,
  name: 'CONFIRM',
  request: ConfirmRequestCodec,
  reply: EmptyCodec,
  streamed: false,
};
