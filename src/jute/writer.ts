/** Strings up to this length are tried as ASCII first (see {@link JuteWriter.ustring}). */
const ASCII_LOOP_MAX = 128;

/** Stores the low 32 bits of `v` big-endian at `at` (the caller has made room). */
function store32(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

/**
 * Writes jute primitives (big-endian) into a growing Buffer. One writer can
 * serialize many frames back to back (see {@link JuteWriter.beginFrame}), so a
 * batch of replies becomes a single socket write.
 */
export class JuteWriter {
  private buf: Buffer;
  offset = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(bytes: number): void {
    const needed = this.offset + bytes;
    if (needed <= this.buf.length) return;
    // max(1, …): a writer created with initialSize 0 would otherwise double 0 forever.
    let size = Math.max(1, this.buf.length) * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  int(v: number): this {
    this.ensure(4);
    // Byte stores rather than writeInt32BE, whose range checks cost as much
    // as the store on a reply's dozen ints; anything but an int32 takes
    // writeInt32BE's path, so out-of-range values still throw its RangeError.
    if ((v | 0) !== v) {
      this.buf.writeInt32BE(v, this.offset);
    } else {
      store32(this.buf, this.offset, v);
    }
    this.offset += 4;
    return this;
  }

  long(v: bigint): this {
    // Zxids and times fit in 53 bits: written through a number, without the
    // BigInt shifts and masks of writeBigInt64BE. A bigint converts exactly
    // iff it is a safe integer, and any other converts to one that is not, so
    // one conversion is the whole range check (no BigInt comparisons).
    const n = Number(v);
    if (Number.isSafeInteger(n)) return this.longNumber(n);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
    return this;
  }

  /** A long from a JavaScript number (times in ms, TTLs); must be a safe integer. */
  longNumber(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v - hi * 0x1_0000_0000;
    // A safe integer's halves are an int32 and a uint32: plain byte stores (NaN stores zeros, as before).
    store32(this.buf, this.offset, hi);
    store32(this.buf, this.offset + 4, lo);
    this.offset += 8;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
    return this;
  }

  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.offset);
    this.offset += v.length;
    return this;
  }

  /**
   * A length-prefixed byte string from `length` bytes of `store` at
   * `offset` (as {@link buffer} of a view of them, without making the view).
   */
  bytesFrom(store: ArrayBufferLike, offset: number, length: number): this {
    this.int(length);
    this.ensure(length);
    if (length > 0) this.buf.set(new Uint8Array(store, offset, length), this.offset);
    this.offset += length;
    return this;
  }

  ustring(v: string | null): this {
    if (v === null) return this.int(-1);
    const n = v.length;
    if (n <= ASCII_LOOP_MAX) {
      // Short ASCII strings (paths, mostly) are copied by hand: cheaper than
      // a native UTF-8 encode. Any other character falls through to that.
      this.ensure(4 + n);
      const buf = this.buf;
      const start = this.offset + 4;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c > 0x7f) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf.writeInt32BE(n, this.offset);
        this.offset = start + n;
        return this;
      }
    }
    const len = Buffer.byteLength(v, 'utf8');
    this.int(len);
    this.ensure(len);
    this.buf.write(v, this.offset, len, 'utf8');
    this.offset += len;
    return this;
  }

  vector<T>(items: readonly T[] | null, item: (w: JuteWriter, v: T) => void): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  /** Appends bytes already encoded (a finished frame, say) as they are. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  /** Reserves the 4-byte length prefix of a frame; pass the result to {@link endFrame}. */
  beginFrame(): number {
    const at = this.offset;
    this.int(0);
    return at;
  }

  endFrame(at: number): void {
    this.buf.writeInt32BE(this.offset - at - 4, at);
  }

  /** The bytes written so far, copied out; the writer is reset for reuse. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.offset));
    this.offset = 0;
    return out;
  }

  /** The bytes written so far as a view (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.offset);
  }

  /** Drops the first `bytes` bytes written, moving the rest to the front (for a writer used as a queue). */
  discard(bytes: number): void {
    if (bytes < 0 || bytes > this.offset) throw new RangeError(`discard ${bytes} of ${this.offset} bytes written`);
    this.buf.copyWithin(0, bytes, this.offset);
    this.offset -= bytes;
  }

  reset(): void {
    this.offset = 0;
  }
}

/** A record's encoder and decoder, the unit every op and record file exports. */
export interface Codec<T> {
  write(w: JuteWriter, v: T): void;
  read(r: import('./reader.js').JuteReader): T;
}
