/**
 * Where each entry of one segment lies in its file: entry id -> (offset,
 * length, timestamp), 20 bytes an entry, in pages of {@link PAGE_SIZE}
 * entries allocated only where entries exist.
 *
 * Why pages: a node holds whatever part of a segment its ensembles gave it
 * (a node that replaced another mid-segment starts at entry 10^7, say), and
 * a request may name any entry id up to 2^53. Dense arrays sized to the
 * highest id let one add allocate gigabytes; pages cost memory in
 * proportion to the entries held, and the searches below skip the empty
 * stretches a page at a time.
 */

const PAGE_BITS = 10;
/** Entry ids per page. */
export const PAGE_SIZE = 1 << PAGE_BITS;

interface Page {
  readonly offsets: Float64Array;
  readonly lengths: Uint32Array;
  readonly timestamps: Float64Array;
}

export class EntryIndex {
  private readonly pages = new Map<number, Page>();
  /** Page numbers in increasing order, for the searches. */
  private readonly pageNumbers: number[] = [];
  /** One past the highest entry id with any state. */
  limit = 0;
  /** The page last looked up: adds and reads go along a page, so most lookups skip the map. */
  private cachedNumber = -1;
  private cachedPage: Page | undefined;

  /** The entry's file offset; -1 when it is not in the file (missing, in memory only, or corrupt). */
  offset(entryId: number): number {
    return this.page(entryId)?.offsets[slot(entryId)] ?? -1;
  }

  /** The entry's record length in the file (meaningful when {@link offset} is not -1). */
  length(entryId: number): number {
    return this.page(entryId)?.lengths[slot(entryId)] ?? 0;
  }

  /** The entry's timestamp, NaN when the node has no copy of it coming or stored. */
  timestamp(entryId: number): number {
    return this.page(entryId)?.timestamps[slot(entryId)] ?? NaN;
  }

  /** Records where the entry lies in the file. */
  setStored(entryId: number, offset: number, length: number, timestamp: number): void {
    const page = this.pageFor(entryId);
    const i = slot(entryId);
    page.offsets[i] = offset;
    page.lengths[i] = length;
    page.timestamps[i] = timestamp;
  }

  /** Sets (a reserved add) or clears (NaN) the timestamp alone. */
  setTimestamp(entryId: number, timestamp: number): void {
    if (Number.isNaN(timestamp) && this.page(entryId) === undefined) return;
    this.pageFor(entryId).timestamps[slot(entryId)] = timestamp;
  }

  /** Forgets the entry's place in the file (a corrupt copy), keeping nothing of it. */
  clear(entryId: number): void {
    const page = this.page(entryId);
    if (!page) return;
    page.offsets[slot(entryId)] = -1;
    page.timestamps[slot(entryId)] = NaN;
  }

  /** The nearest entry id before `entryId` with a timestamp (a copy coming or stored), or undefined. */
  previousWithTimestamp(entryId: number): number | undefined {
    const start = Math.min(entryId, this.limit) - 1;
    if (start < 0) return undefined;
    for (let p = this.pageIndexAtOrBefore(pageOf(start)), e = start; p >= 0; p--) {
      const number = this.pageNumbers[p]!;
      const page = this.pages.get(number)!;
      const first = number * PAGE_SIZE;
      for (let i = Math.min(e, first + PAGE_SIZE - 1) - first; i >= 0; i--) {
        if (!Number.isNaN(page.timestamps[i]!)) return first + i;
      }
      e = first - 1;
    }
    return undefined;
  }

  /** The lowest entry id in [from, end) with a timestamp (a copy coming or stored), or undefined. */
  nextWithTimestamp(from: number, end: number): number | undefined {
    if (from >= end) return undefined;
    for (let p = this.pageIndexAtOrAfter(pageOf(from)); p < this.pageNumbers.length; p++) {
      const number = this.pageNumbers[p]!;
      const first = number * PAGE_SIZE;
      if (first >= end) return undefined;
      const page = this.pages.get(number)!;
      for (let i = Math.max(from, first) - first; i < PAGE_SIZE && first + i < end; i++) {
        if (!Number.isNaN(page.timestamps[i]!)) return first + i;
      }
    }
    return undefined;
  }

  /**
   * How many entries from `from` on (below `end`, at most `maxCount` and
   * `lengths.length`) have records that lie back to back in the file, the
   * first at its indexed offset, together at most `maxBytes` (the first
   * counts whatever its length); each one's record length goes into
   * `lengths`. 0 when `from` is not in the file. A range read plans a file
   * read with this: one pass over the page arrays, not several lookups of
   * a page per entry.
   */
  storedRun(from: number, end: number, maxCount: number, maxBytes: number, lengths: Uint32Array): number {
    const max = Math.min(maxCount, lengths.length);
    let count = 0;
    let bytes = 0;
    let next = -1;
    for (let e = from; e < end && count < max; ) {
      const number = pageOf(e);
      const page = this.pages.get(number);
      if (!page) break;
      const first = number * PAGE_SIZE;
      const stop = Math.min(end - first, PAGE_SIZE);
      for (let i = e - first; i < stop; i++) {
        const offset = page.offsets[i]!;
        const length = page.lengths[i]!;
        if (offset < 0 || (count > 0 && (offset !== next || bytes + length > maxBytes))) return count;
        lengths[count++] = length;
        bytes += length;
        next = offset + length;
        if (count === max) return count;
      }
      e = first + stop;
    }
    return count;
  }

  private page(entryId: number): Page | undefined {
    const number = pageOf(entryId);
    if (number === this.cachedNumber) return this.cachedPage;
    const page = this.pages.get(number);
    // Pages are never dropped, so a cached page stays right; a missing one is not cached (it may come).
    if (page !== undefined) {
      this.cachedNumber = number;
      this.cachedPage = page;
    }
    return page;
  }

  private pageFor(entryId: number): Page {
    if (entryId >= this.limit) this.limit = entryId + 1;
    const number = pageOf(entryId);
    let page = this.page(entryId);
    if (!page) {
      page = { offsets: new Float64Array(PAGE_SIZE).fill(-1), lengths: new Uint32Array(PAGE_SIZE), timestamps: new Float64Array(PAGE_SIZE).fill(NaN) };
      this.pages.set(number, page);
      this.pageNumbers.splice(this.pageIndexAtOrAfter(number), 0, number);
    }
    return page;
  }

  /** Index in pageNumbers of the first page >= number (pageNumbers.length when none). */
  private pageIndexAtOrAfter(number: number): number {
    let lo = 0;
    let hi = this.pageNumbers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pageNumbers[mid]! < number) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index in pageNumbers of the last page <= number (-1 when none). */
  private pageIndexAtOrBefore(number: number): number {
    const i = this.pageIndexAtOrAfter(number);
    return i < this.pageNumbers.length && this.pageNumbers[i] === number ? i : i - 1;
  }
}

function pageOf(entryId: number): number {
  return Math.floor(entryId / PAGE_SIZE);
}

function slot(entryId: number): number {
  return entryId - pageOf(entryId) * PAGE_SIZE;
}
