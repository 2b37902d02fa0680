/** Longest string the table keeps; longer ones are decoded every time. */
const MAX_LENGTH = 128;

/**
 * Recently decoded short ASCII strings, shared: decoding bytes equal to a
 * string in the table returns that string instead of a new one. A server
 * sees the same paths over and over; a shared string skips the native UTF-8
 * decode, the allocation, and (its hash being cached in it) the hashing of
 * every Map lookup by it. Direct-mapped by a hash of the bytes: a slot holds
 * the last string that hashed to it, so the table never grows past its
 * size, and a hit is checked byte by byte, so it is only ever an equal string.
 */
export class StringTable {
  private readonly slots: Array<string | undefined>;
  private readonly mask: number;

  /** `size`: slots, a power of two. */
  constructor(size = 4096) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new RangeError(`string table size ${size}: not a power of two`);
    this.slots = new Array<string | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** The UTF-8 string of `buf[start..end)`, shared when it is short ASCII. */
  decode(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > MAX_LENGTH) return utf8(buf, start, end);
    let h = n;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c > 0x7f) return utf8(buf, start, end);
      h = Math.imul(h ^ c, 0x01000193);
    }
    const slot = (h ^ (h >>> 15)) & this.mask;
    const known = this.slots[slot];
    if (known !== undefined && known.length === n) {
      let i = 0;
      while (i < n && known.charCodeAt(i) === buf[start + i]) i++;
      if (i === n) return known;
    }
    const fresh = utf8(buf, start, end);
    this.slots[slot] = fresh;
    return fresh;
  }
}

/** Buffer#toString without an encoding name is UTF-8, without looking the name up. */
function utf8(buf: Buffer, start: number, end: number): string {
  return buf.toString(undefined, start, end);
}
