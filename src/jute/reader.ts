import { JuteDecodeError } from './decode-error.js';
import type { StringTable } from './string-table.js';

/**
 * Reads jute primitives (big-endian) from a Buffer window. Reading past the
 * window throws {@link JuteDecodeError}; no read allocates except strings and
 * the arrays returned by {@link JuteReader.vector}. Buffers are returned as
 * views into the input, so callers that keep them must copy.
 */
export class JuteReader {
  offset: number;
  buf: Buffer;
  end: number;
  /** Where short strings are decoded to shared copies (a server's paths), or null to decode each afresh. */
  strings: StringTable | null = null;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  /** Points this reader at another window, so one reader can read many frames without a new object each. */
  reset(buf: Buffer, offset: number, end: number): this {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.end) {
      throw new JuteDecodeError(`need ${bytes} bytes, ${this.end - this.offset} left`, this.offset);
    }
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const buf = this.buf;
    const at = this.offset;
    this.offset += 8;
    const hi = (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
    // Zxids, times and zero session ids fit in 53 bits: one BigInt from a
    // number instead of the several intermediate ones readBigInt64BE makes.
    if (hi >= -0x200000 && hi < 0x200000) {
      const lo = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
      // Zero (ephemeralOwner of most nodes) is a shared constant: no allocation.
      return hi === 0 && lo === 0 ? 0n : BigInt(hi * 0x1_0000_0000 + lo);
    }
    return buf.readBigInt64BE(at);
  }

  /** A long that is known to fit a JavaScript number (times in ms, TTLs). */
  longNumber(): number {
    this.need(8);
    const buf = this.buf;
    const at = this.offset;
    this.offset += 8;
    const hi = (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
    const lo = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
    return hi * 0x1_0000_0000 + lo;
  }

  bool(): boolean {
    this.need(1);
    return this.buf[this.offset++] !== 0;
  }

  /** A length-prefixed byte string; -1 is null. The result is a view, not a copy. */
  buffer(): Buffer | null {
    const len = this.length();
    if (len < 0) return null;
    const start = this.offset;
    this.offset += len;
    return this.buf.subarray(start, start + len);
  }

  ustring(): string | null {
    const len = this.length();
    if (len < 0) return null;
    const start = this.offset;
    this.offset += len;
    if (this.strings !== null) return this.strings.decode(this.buf, start, start + len);
    // No encoding name is UTF-8, without looking the name up.
    return this.buf.toString(undefined, start, start + len);
  }

  /** A ustring where null is read as the empty string (paths, schemes). */
  string(): string {
    return this.ustring() ?? '';
  }

  vector<T>(item: (r: JuteReader) => T): T[] | null {
    const count = this.int();
    if (count < 0) return null;
    // Every element takes at least one byte: a count beyond the bytes left is garbage.
    if (count > this.remaining) {
      throw new JuteDecodeError(`vector of ${count} elements with ${this.remaining} bytes left`, this.offset - 4);
    }
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = item(this);
    return out;
  }

  /** Reads a byte-string length (-1 = null) and checks the bytes are there. */
  private length(): number {
    const len = this.int();
    if (len < -1) throw new JuteDecodeError(`negative length ${len}`, this.offset - 4);
    if (len > 0) this.need(len);
    return len;
  }
}
