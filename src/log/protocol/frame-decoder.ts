/**
 * Cuts frames (./frame.ts) out of a byte stream that arrives in chunks of
 * any size. It consumes chunks and passes on, in order:
 * - `frame`: a whole frame of at most `maxFrameSize` bytes (header + body,
 *   the prefix stripped). Frames wholly inside one chunk are views into it;
 *   one spanning chunks is joined once, when complete (never re-joined per
 *   chunk, so a 16 MiB frame in 64 KiB chunks is copied once).
 * - `oversized`: the first {@link HEADER_SIZE} bytes (or fewer, if the
 *   frame is shorter) of a frame longer than `maxFrameSize`, and its
 *   length. The rest of that frame is discarded as it arrives, never
 *   buffered, so the stream stays in step and the connection usable.
 *
 * Only a negative length has no boundary to skip to: `push` returns an
 * error and the decoder must not be used again.
 */
import { HEADER_SIZE, LENGTH_PREFIX_SIZE } from './frame.js';

/** What the decoder passes on. */
export type FrameEvent =
  | { readonly type: 'frame'; readonly frame: Buffer }
  | { readonly type: 'oversized'; readonly head: Buffer; readonly length: number };

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The length of the frame being collected, once its prefix is complete. */
  private length = -1;
  /** Bytes of an oversized frame still to discard. */
  private skip = 0;

  /** @param maxFrameSize the largest frame (bytes after the prefix) passed on whole */
  constructor(readonly maxFrameSize: number) {}

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds one chunk (which must not change afterwards) and calls `emit` for
   * each frame it completes. Returns a message when the stream has no
   * readable boundary any more (a negative length).
   */
  push(chunk: Buffer, emit: (event: FrameEvent) => void): string | undefined {
    let off = 0;
    while (off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.buffered === 0) {
        // Fast path: a frame (or an oversized frame's head) wholly in this chunk.
        const rest = chunk.length - off;
        if (rest >= LENGTH_PREFIX_SIZE) {
          const length = chunk.readInt32BE(off);
          if (length < 0) return `frame length ${length} is negative: no frame boundary`;
          const want = this.wanted(length);
          if (rest - LENGTH_PREFIX_SIZE >= want) {
            const start = off + LENGTH_PREFIX_SIZE;
            off = start + want;
            this.deliver(chunk.subarray(start, off), length, emit);
            continue;
          }
          this.length = length;
        }
        this.append(chunk.subarray(off));
        return undefined;
      }
      if (this.buffered < LENGTH_PREFIX_SIZE) {
        const take = Math.min(LENGTH_PREFIX_SIZE - this.buffered, chunk.length - off);
        this.append(chunk.subarray(off, off + take));
        off += take;
        if (this.buffered < LENGTH_PREFIX_SIZE) return undefined;
        this.length = this.joined().readInt32BE(0);
        if (this.length < 0) return `frame length ${this.length} is negative: no frame boundary`;
      }
      const target = LENGTH_PREFIX_SIZE + this.wanted(this.length);
      const take = Math.min(target - this.buffered, chunk.length - off);
      this.append(chunk.subarray(off, off + take));
      off += take;
      if (this.buffered < target) return undefined;
      const whole = this.joined();
      const length = this.length;
      this.chunks = [];
      this.buffered = 0;
      this.length = -1;
      this.deliver(whole.subarray(LENGTH_PREFIX_SIZE), length, emit);
    }
    return undefined;
  }

  /** Bytes of a frame of `length` to collect: all of it, or the head of an oversized one. */
  private wanted(length: number): number {
    return length <= this.maxFrameSize ? length : Math.min(HEADER_SIZE, length);
  }

  private deliver(bytes: Buffer, length: number, emit: (event: FrameEvent) => void): void {
    if (length <= this.maxFrameSize) {
      emit({ type: 'frame', frame: bytes });
      return;
    }
    this.skip = length - bytes.length;
    emit({ type: 'oversized', head: bytes, length });
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    this.chunks.push(part);
    this.buffered += part.length;
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}
