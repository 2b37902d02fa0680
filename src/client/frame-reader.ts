import { ConnectionLossError, type HerdError } from '../errors.js';

/**
 * Cuts length-prefixed frames (int32 big-endian length, then that many
 * bytes) out of a byte stream that arrives in arbitrary chunks, keeping the
 * incomplete rest for the next chunk. Frames wholly inside a chunk are views
 * into it (no copy); a frame spanning chunks is joined into a new Buffer
 * once complete. Chunks must not be modified after {@link FrameReader.push}.
 */
export class FrameReader {
  /** Buffered bytes of an incomplete frame (the length prefix included). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total bytes (prefix + body) of the frame being collected, or -1 while its prefix is incomplete. */
  private need = -1;

  /** @param maxFrameSize the largest body accepted; a larger (or negative) length is a protocol error */
  constructor(readonly maxFrameSize: number) {}

  /**
   * Feeds one chunk; calls `onFrame` with each complete frame body in order.
   * Returns an error instead of throwing when the stream is malformed; the
   * reader must not be used after that. Stops early (returning undefined)
   * when `onFrame` returns false.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => boolean): HerdError | undefined {
    const buf = chunk;
    let offset = 0;
    if (this.buffered > 0) {
      // Complete the frame that spans chunks.
      if (this.need < 0) {
        // Copy just enough to read the prefix.
        const take = Math.min(4 - this.buffered, buf.length);
        this.append(buf.subarray(0, take));
        offset = take;
        if (this.buffered < 4) return undefined;
        const prefix = this.joined();
        const len = prefix.readInt32BE(0);
        const err = this.checkLength(len);
        if (err) return err;
        this.need = len + 4;
      }
      const missing = this.need - this.buffered;
      if (buf.length - offset < missing) {
        this.append(buf.subarray(offset));
        return undefined;
      }
      this.append(buf.subarray(offset, offset + missing));
      offset += missing;
      const whole = this.joined();
      this.chunks = [];
      this.buffered = 0;
      this.need = -1;
      if (!onFrame(whole.subarray(4))) return undefined;
    }
    // Frames wholly inside this chunk are views into it.
    while (buf.length - offset >= 4) {
      const len = buf.readInt32BE(offset);
      const err = this.checkLength(len);
      if (err) return err;
      if (buf.length - offset - 4 < len) break;
      const frame = buf.subarray(offset + 4, offset + 4 + len);
      offset += 4 + len;
      if (!onFrame(frame)) return undefined;
    }
    if (offset < buf.length) {
      // The rest starts a frame; its length (if complete) was checked above.
      this.append(buf.subarray(offset));
      if (this.buffered >= 4) this.need = buf.readInt32BE(offset) + 4;
    }
    return undefined;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private checkLength(len: number): HerdError | undefined {
    if (len < 0 || len > this.maxFrameSize) {
      return new ConnectionLossError(`frame length ${len} out of range [0, ${this.maxFrameSize}]`);
    }
    return undefined;
  }

  private append(part: Buffer): void {
    this.chunks.push(part);
    this.buffered += part.length;
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}
