/**
 * READ_RANGE (kind 3): the entries of one segment in entry order, within
 * optional bounds on entry id and on timestamp, streamed as several replies.
 *
 * ```
 * request  long segmentId, optional long fromEntry, optional long toEntry,
 *          optional long fromTime, optional long toTime, optional int limit
 *          (optional = bool present, then the value when present)
 * reply    vector<entry> entries, bool done
 * ```
 * Bounds mean what they mean to the storage layer's `readRange` (entry and
 * time bounds inclusive). Every reply carries a batch of entries; the last
 * has `done` set (and may be empty). Decoded, the entries' data are views
 * into the reply frame (shared by the entries of one reply), not copies. An error reply (CORRUPT_ENTRY, say) ends the
 * stream too, after the entries already sent.
 */
import type { Codec } from '../../../jute/writer.js';
import { readEntryVector, writeEntryVector, type LogEntry } from './entry.js';
import { readInt, readLong, readOptional, writeOptional } from './fields.js';
import type { Message } from './message.js';

export interface ReadRangeRequest {
  readonly segmentId: number;
  /** First entry id, inclusive. */
  readonly fromEntry?: number | undefined;
  /** Last entry id, inclusive. */
  readonly toEntry?: number | undefined;
  /** Earliest timestamp, epoch ms, inclusive. */
  readonly fromTime?: number | undefined;
  /** Latest timestamp, epoch ms, inclusive. */
  readonly toTime?: number | undefined;
  /** At most this many entries. */
  readonly limit?: number | undefined;
}

export interface ReadRangeReply {
  readonly entries: readonly LogEntry[];
  /** The last reply of the stream. */
  readonly done: boolean;
}

export const ReadRangeRequestCodec: Codec<ReadRangeRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId);
    for (const bound of [v.fromEntry, v.toEntry, v.fromTime, v.toTime]) writeOptional(w, bound, (w, n) => w.longNumber(n));
    writeOptional(w, v.limit, (w, n) => w.int(n));
  },
  read(r) {
    const segmentId = readLong(r, 'segmentId', 0);
    const fromEntry = readOptional(r, (r) => readLong(r, 'fromEntry', 0));
    const toEntry = readOptional(r, (r) => readLong(r, 'toEntry', 0));
    const fromTime = readOptional(r, (r) => readLong(r, 'fromTime', 0));
    const toTime = readOptional(r, (r) => readLong(r, 'toTime', 0));
    const limit = readOptional(r, (r) => readInt(r, 'limit', 0));
    return { segmentId, fromEntry, toEntry, fromTime, toTime, limit };
  },
};

export const ReadRangeReplyCodec: Codec<ReadRangeReply> = {
  write(w, v) {
    writeEntryVector(w, v.entries);
    w.bool(v.done);
  },
  read(r) {
    // One loop, entry data as views into the reply (entry.ts): the bulk of a range read's entries pass here.
    return { entries: readEntryVector(r), done: r.bool() };
  },
};

export const ReadRange: Message<ReadRangeRequest, ReadRangeReply> = {
  kind: 3,
  name: 'READ_RANGE',
  request: ReadRangeRequestCodec,
  reply: ReadRangeReplyCodec,
  streamed: true,
};
