/**
 * An entry as the protocol carries it (in ADD_ENTRY requests and
 * READ_ENTRY replies; READ_RANGE replies carry the storage records, ./read-range.ts): the same fields as the storage
 * layer's StoredEntry.
 *
 * ```
 * long    segmentId         >= 0
 * long    entryId           >= 0
 * long    timestamp         epoch ms, >= 0
 * long    lastAddConfirmed  >= -1 (-1: none yet)
 * buffer  data              not null
 * ```
 */
import type { Codec } from '../../../jute/writer.js';
import { readData, readLong } from './fields.js';

/** One entry of a segment, with the writer's last-add-confirmed when it was added. */
export interface LogEntry {
  /** The segment it belongs to. */
  readonly segmentId: number;
  /** Its position in the segment, from 0. */
  readonly entryId: number;
  /** When it was appended, epoch ms. */
  readonly timestamp: number;
  /** The highest entry id the writer knew to be acknowledged when it sent this one; -1 for none. */
  readonly lastAddConfirmed: number;
  /** The entry's bytes. */
  readonly data: Buffer;
}

export const LogEntryCodec: Codec<LogEntry> = {
  write(w, e) {
    w.longNumber(e.segmentId).longNumber(e.entryId).longNumber(e.timestamp).longNumber(e.lastAddConfirmed).buffer(e.data);
  },
  read(r) {
    return {
      segmentId: readLong(r, 'segmentId', 0),
      entryId: readLong(r, 'entryId', 0),
      timestamp: readLong(r, 'timestamp', 0),
      lastAddConfirmed: readLong(r, 'lastAddConfirmed', -1),
      data: readData(r, 'data'),
    };
  },
};
