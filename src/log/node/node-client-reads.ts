/**
 * READ_RANGE on a storage node client: one request, a stream of replies
 * (src/log/protocol/messages/read-range.ts) pushed into an
 * {@link EntryQueue} as they arrive and pulled by the caller's loop, a
 * reply's entries at a time or one by one. The node sends without waiting
 * for the consumer (bounded by the socket's backpressure on its side), so
 * the next replies are on their way while the current one is consumed.
 */
import { BadArgumentsError } from '../../errors.js';
import { Messages } from '../protocol/kinds.js';
import { expectEnd } from '../protocol/messages/fields.js';
import { makeLogEntry, type EntryMaker } from '../protocol/messages/read-range.js';
import { EntryQueue } from './entry-queue.js';
import { MAX_REQUEST_ID, type RequestChannel } from './node-client-channel.js';
import type { RangeRead, ReadRangeBounds } from './node-client-api.js';
import { checkId, checkOptional } from './request-checks.js';

/** Starts a READ_RANGE of `segmentId` within `bounds` on `channel`; invalid arguments fail the returned read (BadArgumentsError). */
export function rangeRead(channel: RequestChannel, segmentId: number, bounds: ReadRangeBounds = {}): RangeRead {
  const what = `READ_RANGE segment ${segmentId}`;
  const queue = new EntryQueue();
  const invalid =
    checkId(segmentId, 'segmentId', what) ??
    checkOptional(bounds.fromEntry, 'fromEntry', what) ??
    checkOptional(bounds.toEntry, 'toEntry', what) ??
    checkOptional(bounds.fromTime, 'fromTime', what) ??
    checkOptional(bounds.toTime, 'toTime', what) ??
    (bounds.limit !== undefined && !(Number.isInteger(bounds.limit) && bounds.limit >= 0 && bounds.limit <= MAX_REQUEST_ID)
      ? new BadArgumentsError(`${what}: limit must be an integer of at least 0, got ${bounds.limit}`)
      : undefined);
  if (invalid) queue.fail(invalid);
  else {
    channel.send(Messages.ReadRange, { segmentId, ...bounds }, {
      what,
      context: { segmentId },
      deadline: channel.deadlineFrom(channel.timeout),
      reply: (r) => {
        const { records, count, done } = Messages.ReadRange.reply.read(r);
        expectEnd(r, what);
        queue.push(records[0]!, count, done);
        return done;
      },
      fail: (error) => queue.fail(error),
    });
  }
  return Object.assign(queue.iterate(), { batches: () => queue.batches(makeLogEntry), batchesOf: <T>(make: EntryMaker<T>) => queue.batches(make) });
}
