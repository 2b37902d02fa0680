/**
 * Adler-32 (RFC 1950), the checksum ZooKeeper puts on snapshots and on every
 * transaction log record (java.util.zip.Adler32). Node's zlib exposes crc32
 * but not Adler-32.
 */

const MOD = 65521;
/** Bytes that can be summed before `b` may exceed 2^32 (zlib's NMAX). */
const NMAX = 5552;

/** The Adler-32 of `bytes` as an unsigned 32-bit number. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const end = Math.min(n, i + NMAX);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return (b * 65536 + a) >>> 0;
}
