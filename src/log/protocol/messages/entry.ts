/**
 * An entry as the protocol carries it (in ADD_ENTRY requests and in
 * READ_ENTRY and READ_RANGE replies): the same fields as the storage
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
import type { JuteReader } from '../../../jute/reader.js';
import type { Codec, JuteWriter } from '../../../jute/writer.js';
import { BadRequestError } from '../../errors.js';
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

const TWO_32 = 0x1_0000_0000;
/** Bytes of an entry before its data: four longs and the data's length. */
const ENTRY_FIXED = 36;

/**
 * A vector of entries (a READ_RANGE reply's), decoded in one loop with the
 * same range checks as {@link LogEntryCodec}. Unlike it, each `data` is a
 * view into the reader's buffer, not a copy: a reply carries many small
 * entries, and a copy (an allocation) per entry was a good part of a range
 * read's cost. The entries of one reply share its frame's memory.
 */
export function readEntryVector(r: JuteReader): LogEntry[] {
  const count = r.int();
  if (count < 0) return [];
  const buf = r.buf;
  const end = r.end;
  const out: LogEntry[] = new Array<LogEntry>(count);
  let at = r.offset;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_FIXED > end) throw new BadRequestError(`entry ${i} of ${count} cut short at offset ${at}`);
    const segmentId = buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
    const entryId = buf.readInt32BE(at + 8) * TWO_32 + buf.readUInt32BE(at + 12);
    const timestamp = buf.readInt32BE(at + 16) * TWO_32 + buf.readUInt32BE(at + 20);
    const lastAddConfirmed = buf.readInt32BE(at + 24) * TWO_32 + buf.readUInt32BE(at + 28);
    const length = buf.readInt32BE(at + 32);
    const start = at + ENTRY_FIXED;
    const M = Number.MAX_SAFE_INTEGER;
    if (!(segmentId >= 0 && segmentId <= M && entryId >= 0 && entryId <= M && timestamp >= 0 && timestamp <= M && lastAddConfirmed >= -1 && lastAddConfirmed <= M)) {
      throw new BadRequestError(`entry ${i} of ${count} has a field out of range (segmentId ${segmentId}, entryId ${entryId}, timestamp ${timestamp}, lastAddConfirmed ${lastAddConfirmed}) at offset ${at}`);
    }
    if (length < 0 || start + length > end) throw new BadRequestError(`entry ${i} of ${count}: data ${length < 0 ? 'is null' : 'cut short'} at offset ${at + 32}`);
    out[i] = { segmentId, entryId, timestamp, lastAddConfirmed, data: buf.subarray(start, start + length) };
    at = start + length;
  }
  r.offset = at;
  return out;
}

/** Reused by {@link writeEntryVector}: its bytes are copied into the writer before it returns. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function put64(buf: Buffer, v: number, at: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

/**
 * Writes a vector of entries as `w.vector(entries, LogEntryCodec.write)`
 * would, in one loop into one buffer: a READ_RANGE reply carries
 * thousands, and the writer's per-field calls were a good part of the
 * node's cost per entry.
 */
export function writeEntryVector(w: JuteWriter, entries: readonly LogEntry[]): void {
  let total = 4;
  for (const e of entries) total += ENTRY_FIXED + e.data.length;
  if (scratch.length < total) scratch = Buffer.allocUnsafe(Math.max(total, scratch.length * 2));
  const buf = scratch;
  buf.writeInt32BE(entries.length, 0);
  let at = 4;
  for (const e of entries) {
    put64(buf, e.segmentId, at);
    put64(buf, e.entryId, at + 8);
    put64(buf, e.timestamp, at + 16);
    put64(buf, e.lastAddConfirmed, at + 24);
    buf.writeInt32BE(e.data.length, at + 32);
    at += ENTRY_FIXED;
    at += e.data.copy(buf, at);
  }
  w.raw(buf.subarray(0, at));
}
