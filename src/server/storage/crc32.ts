import { crc32 as zlibCrc32 } from 'node:zlib';
import { crcBy8, crcTables } from '../../base/crc-tables.js';

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

const TABLE = crcTables(0xedb88320, 8); // reflected 0x04C11DB7

/** CRC-32 of `buf[start, end)`, as an unsigned 32-bit number (zlib's crc32 of those bytes). */
export function recordCrc32(buf: Buffer, start: number, end: number): number {
  if (end - start > TABLE_MAX) return zlibCrc32(buf.subarray(start, end));
  return ~crcBy8(TABLE, ~0, buf, start, end) >>> 0;
}
