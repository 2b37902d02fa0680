/**
 * The sparse time index of one segment: for every block of
 * {@link TIME_INDEX_BLOCK} entry ids, the lowest entry present and its
 * timestamp. Timestamps never decrease with the entry id within a segment,
 * so a binary search over the samples finds where a time range can start
 * without reading entries, and where it must have ended.
 */

/** Entry ids per sample. */
export const TIME_INDEX_BLOCK = 64;

export class TimeIndex {
  private blocks: number[] = [];
  private entries: number[] = [];
  private times: number[] = [];

  /** Records that `entryId` (stored) has `timestamp`. */
  note(entryId: number, timestamp: number): void {
    const block = Math.floor(entryId / TIME_INDEX_BLOCK);
    const n = this.blocks.length;
    // Entries mostly arrive in order: the common case appends.
    const i = n > 0 && this.blocks[n - 1]! < block ? n : this.search(block);
    if (i < n && this.blocks[i] === block) {
      if (entryId < this.entries[i]!) {
        this.entries[i] = entryId;
        this.times[i] = timestamp;
      }
      return;
    }
    this.blocks.splice(i, 0, block);
    this.entries.splice(i, 0, entryId);
    this.times.splice(i, 0, timestamp);
  }

  /** The first entry id a read of entries at or after `fromTime` needs to look at. */
  startFor(fromTime: number): number {
    // The last sample older than fromTime: every entry before it is older too.
    const i = firstNot(this.times.length, (k) => this.times[k]! < fromTime);
    return i === 0 ? 0 : this.entries[i - 1]!;
  }

  /** An entry id past which no entry is at or before `toTime` (Infinity when unknown). */
  endFor(toTime: number): number {
    const i = firstNot(this.times.length, (k) => this.times[k]! <= toTime);
    return i === this.times.length ? Infinity : this.entries[i]!;
  }

  /** Samples held (for tests and stats). */
  get size(): number {
    return this.blocks.length;
  }

  private search(block: number): number {
    return firstNot(this.blocks.length, (k) => this.blocks[k]! < block);
  }
}

/** Binary search: the first index in [0, n) where `before` is false, or n; `before` must be true then false along the range. */
function firstNot(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
