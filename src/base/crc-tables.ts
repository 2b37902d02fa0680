/**
 * Table-driven CRC-32 of any reflected polynomial, sliced: the lookup
 * tables and the eight-bytes-a-step loop shared by the log's CRC32C
 * (src/log/storage/crc32c.ts, which adds a sixteen-byte step) and the
 * server's txn log CRC-32 (src/server/storage/crc32.ts).
 *
 * Table `t` (0 ≤ t < slices) sits at `t * 256`: entry i of table 0 is the
 * CRC of byte i, and table t advances table t-1's entry by one zero byte,
 * so one step xors the tables of k bytes at once (slicing by k).
 */

/** The `slices` tables of the reflected polynomial `poly`, back to back. */
export function crcTables(poly: number, slices: number): Int32Array {
  const table = new Int32Array(slices * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = table[i]!;
    for (let t = 1; t < slices; t++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[t * 256 + i] = c;
    }
  }
  return table;
}

/**
 * Goes on from the running (not yet inverted) CRC `c` over
 * `buf[start, end)`, eight bytes a step, then byte by byte; `t` has at
 * least 8 slices. Returns the running CRC: the caller inverts it.
 */
export function crcBy8(t: Int32Array, c: number, buf: Uint8Array, start: number, end: number): number {
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
  return c;
}
