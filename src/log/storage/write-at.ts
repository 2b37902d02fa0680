/**
 * Writes into the page cache done on the event loop. A write without a
 * sync only copies into the page cache: a few µs for the few KB of a group
 * commit, while the thread-pool hand-off of an async write costs far more
 * CPU than that on a busy machine (measured here: 9 KB, 6.7 µs written
 * inline against 36 µs through fs/promises, most of it thread wake-ups).
 * The fdatasync, which waits for the device, stays off the loop. The cost
 * of the choice: when the kernel throttles a writer (too many dirty
 * pages), the loop waits instead of a pool thread.
 */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Writes all of `buf` at `position`; returns the bytes written before a
 * failure when it throws (on the error as `written`), so the caller can
 * drop a partial record.
 */
export function writeAt(fh: FileHandle, buf: Buffer, position: number): void {
  let written = 0;
  try {
    while (written < buf.length) written += writeSync(fh.fd, buf, written, buf.length - written, position + written);
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { written });
  }
}

/** The bytes a failed {@link writeAt} wrote before it failed (0 when unknown). */
export function writtenBefore(err: unknown): number {
  return typeof (err as { written?: unknown })?.written === 'number' ? (err as { written: number }).written : 0;
}
