/**
 * READ_RANGE (kind 3): the entries of one segment in entry order, within
 * optional bounds on entry id and on timestamp, streamed as several replies.
 *
 * ```
 * request  long segmentId, optional long fromEntry, optional long toEntry,
 *          optional long fromTime, optional long toTime, optional int limit
 *          (optional = bool present, then the value when present)
 * reply    int count, int length, then length bytes: count entry records,
 *          bool done
 * ```
 * Bounds mean what they mean to the storage layer's `readRange` (entry and
 * time bounds inclusive). Every reply carries a batch of entries; the last
 * has `done` set (and may be empty). The entries are the storage layer's
 * own records (src/log/storage/record.ts: body length, CRC32C, then kind 1,
 * segment id, entry id, timestamp, last-add-confirmed, data), back to back
 * as the segment file holds them: the node sends on what it read, checked
 * once there (each record's CRC32C, before it is sent: a corrupt copy is
 * never served), without decoding or encoding an entry. The reader takes
 * the CRC as checked (TCP guards the way) and decodes each entry straight
 * into what it returns ({@link decodeRecords}); entry data are views into
 * the reply frame (shared by the entries of one reply), not copies. An
 * error reply (CORRUPT_ENTRY, say) ends the stream too, after the entries
 * already sent.
 */
import type { Codec } from '../../../jute/writer.js';
import { BadRequestError } from '../../errors.js';
import type { LogEntry } from './entry.js';
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
  /** Entry records back to back, in pieces (a node sends several runs; a decoded reply has one view into its frame). */
  readonly records: readonly Buffer[];
  /** Records in `records`, in entry order. */
  readonly count: number;
  /** The last reply of the stream. */
  readonly done: boolean;
}

/** Builds what a reader returns for one entry, from its fields (`data` a view into the reply). */
export type EntryMaker<T> = (segmentId: number, entryId: number, timestamp: number, lastAddConfirmed: number, data: Buffer) => T;

const TWO_32 = 0x1_0000_0000;
/** Bytes of an entry record before its data: length, CRC, kind, then four longs. */
const RECORD_FIXED = 8 + 33;

/**
 * Checks that `bytes` holds exactly `count` entry records (lengths, kinds,
 * fields in range; not the CRCs, which the node checked): null, or what is
 * wrong. Run on every reply as it arrives, so {@link decodeRecords} later
 * never reads past a record.
 */
export function recordsProblem(bytes: Buffer, count: number): string | null {
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + RECORD_FIXED > bytes.length) return `record ${i} of ${count} cut short at offset ${at}`;
    const body = bytes.readUInt32BE(at);
    if (body < RECORD_FIXED - 8 || at + 8 + body > bytes.length) return `record ${i} of ${count}: body length ${body} does not fit at offset ${at}`;
    if (bytes[at + 8] !== 1) return `record ${i} of ${count} is not an entry (kind ${bytes[at + 8]}) at offset ${at}`;
    const timestamp = bytes.readInt32BE(at + 25);
    const confirmed = bytes.readInt32BE(at + 33);
    // Ids and timestamps are safe integers of at least 0 (the last-add-confirmed at least -1): high halves below 2^21.
    if (bytes.readUInt32BE(at + 9) >= 0x20_0000 || bytes.readUInt32BE(at + 17) >= 0x20_0000 || timestamp < 0 || timestamp >= 0x20_0000 || confirmed < -1 || confirmed >= 0x20_0000) {
      return `record ${i} of ${count} has a field out of range at offset ${at}`;
    }
    at += 8 + body;
  }
  return at === bytes.length ? null : `${bytes.length - at} bytes after ${count} records`;
}

/**
 * The `count` records of `bytes` (checked by {@link recordsProblem}) as
 * `make` builds them, in one loop with no object per entry but what `make`
 * returns and the view of its data.
 */
export function decodeRecords<T>(bytes: Buffer, count: number, make: EntryMaker<T>): T[] {
  const out = new Array<T>(count);
  for (let i = 0, at = 0; i < count; i++) {
    const end = at + 8 + bytes.readUInt32BE(at);
    out[i] = make(
      bytes.readUInt32BE(at + 9) * TWO_32 + bytes.readUInt32BE(at + 13),
      bytes.readUInt32BE(at + 17) * TWO_32 + bytes.readUInt32BE(at + 21),
      bytes.readInt32BE(at + 25) * TWO_32 + bytes.readUInt32BE(at + 29),
      bytes.readInt32BE(at + 33) * TWO_32 + bytes.readUInt32BE(at + 37),
      bytes.subarray(at + RECORD_FIXED, end),
    );
    at = end;
  }
  return out;
}

/** An {@link EntryMaker} of LogEntry objects. */
export const makeLogEntry: EntryMaker<LogEntry> = (segmentId, entryId, timestamp, lastAddConfirmed, data) => ({ segmentId, entryId, timestamp, lastAddConfirmed, data });

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
    let length = 0;
    for (const piece of v.records) length += piece.length;
    w.int(v.count).int(length);
    for (const piece of v.records) w.raw(piece);
    w.bool(v.done);
  },
  read(r) {
    const count = readInt(r, 'count', 0);
    const at = r.offset;
    const length = readInt(r, 'length', 0);
    if (length > r.remaining) throw new BadRequestError(`records of ${length} bytes with ${r.remaining} bytes left at offset ${at}`);
    const records = r.buf.subarray(r.offset, r.offset + length);
    const problem = recordsProblem(records, count);
    if (problem !== null) throw new BadRequestError(`${problem} (records at offset ${r.offset})`);
    r.offset += length;
    return { records: [records], count, done: r.bool() };
  },
};

export const ReadRange: Message<ReadRangeRequest, ReadRangeReply> = {
  kind: 3,
  name: 'READ_RANGE',
  request: ReadRangeRequestCodec,
  reply: ReadRangeReplyCodec,
  streamed: true,
};
