/**
 * The record: the one unit of every journal and segment file.
 *
 *   u32 BE  body length (at least 9)
 *   u32 BE  CRC32C of the body
 *   body:
 *     u8      kind: 1 entry, 2 fence, 3 delete
 *     u64 BE  segment id
 *     entry only:
 *       u64 BE  entry id
 *       i64 BE  timestamp (epoch ms, chosen by the writer)
 *       i64 BE  the writer's last add confirmed (-1 when none)
 *       ...     data (the rest of the body)
 *
 * A journal record and the segment file record of the same entry are the
 * same bytes: applying the journal to a segment file copies records without
 * decoding or re-checksumming them, and the segment id inside a segment
 * file's records lets a scan tell its own records from stray bytes.
 */
import { crc32c } from './crc32c.js';

/** What a record says. */
export const RecordKind = { entry: 1, fence: 2, delete: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** Bytes before the body. */
export const RECORD_HEADER = 8;
/** Body bytes of a fence or delete record. */
export const MARKER_BODY = 9;
/** Body bytes of an entry record before its data. */
export const ENTRY_BODY = 33;
/**
 * The largest body any scan accepts. A larger length field is corruption;
 * it bounds how far a damaged length can send a scan.
 */
export const MAX_BODY = 64 * 1024 * 1024;

/** A decoded record; `data` is a view into the buffer it was decoded from. */
export interface DecodedRecord {
  kind: RecordKind;
  segmentId: number;
  entryId: number;
  timestamp: number;
  lastAddConfirmed: number;
  data: Buffer;
}

/** Encodes an entry record (header, checksum and body) into a new buffer. */
export function encodeEntry(segmentId: number, entryId: number, timestamp: number, lastAddConfirmed: number, data: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER + ENTRY_BODY + data.length);
  encodeEntryInto(buf, 0, segmentId, entryId, timestamp, lastAddConfirmed, data);
  return buf;
}

/** Encodes an entry record into `buf` at `at` (which must have room: {@link RECORD_HEADER} + {@link ENTRY_BODY} + data); returns its length. */
export function encodeEntryInto(buf: Buffer, at: number, segmentId: number, entryId: number, timestamp: number, lastAddConfirmed: number, data: Buffer): number {
  const b = at + RECORD_HEADER;
  buf[b] = RecordKind.entry;
  write64(buf, segmentId, b + 1);
  write64(buf, entryId, b + 9);
  write64(buf, timestamp, b + 17);
  write64(buf, lastAddConfirmed, b + 25);
  // TypedArray.set: for entries of a few hundred bytes, Buffer.copy's argument handling costs more than the copy.
  buf.set(data, b + ENTRY_BODY);
  const length = ENTRY_BODY + data.length;
  writeU32(buf, length, at);
  writeU32(buf, crc32c(buf, b, b + length), at + 4);
  return RECORD_HEADER + length;
}

/** Encodes a fence or delete record for a segment. */
export function encodeMarker(kind: typeof RecordKind.fence | typeof RecordKind.delete, segmentId: number): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER + MARKER_BODY);
  buf[RECORD_HEADER] = kind;
  write64(buf, segmentId, RECORD_HEADER + 1);
  return seal(buf);
}

// 64-bit fields hold safe integers: two 32-bit halves are exact for them
// and, unlike BigInt conversions, cost nothing per entry on the add path.
const TWO_32 = 2 ** 32;

/** Writes a safe integer (negative ones too) as a big-endian two's-complement 64-bit field. */
function write64(buf: Buffer, value: number, at: number): void {
  const hi = Math.floor(value / TWO_32);
  writeU32(buf, hi >>> 0, at);
  writeU32(buf, value - hi * TWO_32, at + 4);
}

/** Writes an unsigned 32-bit value big-endian; the callers keep `at` in bounds (Buffer's writers check it again per field). */
function writeU32(buf: Buffer, value: number, at: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = value >>> 16;
  buf[at + 2] = value >>> 8;
  buf[at + 3] = value;
}

/** Reads a big-endian 64-bit field as a signed number (exact within the safe range). */
function read64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/** Reads a big-endian 64-bit field as an unsigned number (exact within the safe range). */
function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

function seal(buf: Buffer): Buffer {
  buf.writeUInt32BE(buf.length - RECORD_HEADER, 0);
  buf.writeUInt32BE(crc32c(buf, RECORD_HEADER), 4);
  return buf;
}

/**
 * Checks the record at `at` in `buf` (which must hold all of it): null when
 * it is whole and its checksum matches, else what is wrong.
 */
export function checkRecord(buf: Buffer, at: number): string | null {
  if (at + RECORD_HEADER > buf.length) return 'record header cut short';
  const len = buf.readUInt32BE(at);
  if (len < MARKER_BODY || len > MAX_BODY) return `impossible body length ${len}`;
  if (at + RECORD_HEADER + len > buf.length) return 'record cut short';
  const kind = buf[at + RECORD_HEADER];
  if (kind !== RecordKind.entry && kind !== RecordKind.fence && kind !== RecordKind.delete) return `unknown record kind ${kind}`;
  if (kind === RecordKind.entry ? len < ENTRY_BODY : len !== MARKER_BODY) return `body length ${len} does not fit kind ${kind}`;
  const crc = crc32c(buf, at + RECORD_HEADER, at + RECORD_HEADER + len);
  if (crc !== buf.readUInt32BE(at + 4)) return 'checksum mismatch';
  return null;
}

/** The segment id a record at `at` claims (its body's first fields must be in `buf`). */
export function claimedSegment(buf: Buffer, at: number): number {
  return readU64(buf, at + RECORD_HEADER + 1);
}

/** The entry id of an entry record at `at` (its header and fixed fields must be in `buf`). */
export function recordEntryId(buf: Buffer, at: number): number {
  return readU64(buf, at + RECORD_HEADER + 9);
}

/** The timestamp of an entry record at `at` (its header and fixed fields must be in `buf`). */
export function recordTimestamp(buf: Buffer, at: number): number {
  return read64(buf, at + RECORD_HEADER + 17);
}

/** The last-add-confirmed of an entry record at `at` (its header and fixed fields must be in `buf`). */
export function recordLastAddConfirmed(buf: Buffer, at: number): number {
  return read64(buf, at + RECORD_HEADER + 25);
}

/** Decodes a record already checked by {@link checkRecord}. */
export function decodeRecord(buf: Buffer, at: number): DecodedRecord {
  const len = buf.readUInt32BE(at);
  const b = at + RECORD_HEADER;
  const kind = buf[b] as RecordKind;
  const segmentId = readU64(buf, b + 1);
  if (kind !== RecordKind.entry) {
    return { kind, segmentId, entryId: -1, timestamp: 0, lastAddConfirmed: -1, data: buf.subarray(b + len, b + len) };
  }
  return {
    kind,
    segmentId,
    entryId: readU64(buf, b + 9),
    timestamp: read64(buf, b + 17),
    lastAddConfirmed: read64(buf, b + 25),
    data: buf.subarray(b + ENTRY_BODY, b + len),
  };
}
