/**
 * ADD_ENTRY (kind 1): store one entry, answered after it is fsynced.
 *
 * ```
 * request  bool recovery, then the entry (./entry.ts): long segmentId,
 *          long entryId, long timestamp, long lastAddConfirmed, buffer data
 * reply    long segmentId, long entryId
 * ```
 * `recovery` marks an add from a recovery (re-replicating or closing a
 * segment), which a fenced segment still accepts; a normal add to a fenced
 * segment is answered SEGMENT_FENCED.
 */
import type { Codec } from '../../../jute/writer.js';
import { readLong } from './fields.js';
import { LogEntryCodec, type LogEntry } from './entry.js';
import type { Message } from './message.js';

export interface AddEntryRequest extends LogEntry {
  /** An add from a recovery: accepted by a fenced segment. */
  readonly recovery: boolean;
}

export interface AddEntryReply {
  readonly segmentId: number;
  readonly entryId: number;
}

export const AddEntryRequestCodec: Codec<AddEntryRequest> = {
  write(w, v) {
    w.bool(v.recovery);
    LogEntryCodec.write(w, v);
  },
  read(r) {
    const recovery = r.bool();
    return { recovery, ...LogEntryCodec.read(r) };
  },
};

export const AddEntryReplyCodec: Codec<AddEntryReply> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.entryId);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0), entryId: readLong(r, 'entryId', 0) };
  },
};

export const AddEntry: Message<AddEntryRequest, AddEntryReply> = {
  kind: 1,
  name: 'ADD_ENTRY',
  request: AddEntryRequestCodec,
  reply: AddEntryReplyCodec,
  streamed: false,
};
