/** Frames on a byte stream: a 4-byte big-endian length, then the payload (protocol.ts). */
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_FRAME_SIZE, type FrameLimits } from './protocol.js';

/**
 * Splits a byte stream into frame payloads. Throws ProtocolError when a
 * frame announces more than `maxFrameSize` bytes (before buffering it).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxFrameSize: number;

  constructor(limits: FrameLimits = {}) {
    this.maxFrameSize = limits.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** Adds bytes; returns the complete payloads now available, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameSize) throw new ProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
      if (this.buffered < 4 + length) break;
      const all = this.flatten();
      out.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }

  private flatten(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}

/** A payload with its 4-byte length prefix. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
