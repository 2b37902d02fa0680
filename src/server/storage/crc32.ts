import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (the zlib / IEEE 802.3 polynomial) of a transaction log record,
 * the checksum log-format.ts stores before each record.
 *
 * Most records are small (a setData of 100 bytes is a 150-byte record), and
 * for those zlib's crc32 costs more in its call (argument checks, a Buffer
 * view of the record) than in the checksum: measured here at 280-520 ns a
 * 152-byte record, against 130-200 ns for the table below, slicing by 8
 * bytes. From a few hundred bytes on, zlib's vectorized code wins (at 4 KB:
 * 0.8-1.2 µs against 2.8-5.4 µs), so larger records go to it. Both give the
 * same value.
 */

/** Records up to this many bytes use the table; larger ones zlib. */
const TABLE_MAX = 256;

const POLY = 0xedb88320; // reflected 0x04C11DB7
const TABLE = new Int32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c;
}
for (let i = 0; i < 256; i++) {
  let c = TABLE[i]!;
  for (let t = 1; t < 8; t++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[t * 256 + i] = c;
  }
}

/** CRC-32 of `buf[start, end)`, as an unsigned 32-bit number (zlib's crc32 of those bytes). */
export function recordCrc32(buf: Buffer, start: number, end: number): number {
  if (end - start > TABLE_MAX) return zlibCrc32(buf.subarray(start, end));
  const t = TABLE;
  let c = ~0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
