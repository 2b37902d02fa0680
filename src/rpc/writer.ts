/**
 * The frames one connection sends (connection.ts), queued in a tick and
 * written together at its end: one write system call, not one per frame.
 */
import type { Socket } from 'node:net';
import type { HerdCodec } from './codec.js';
import { ProtocolError } from './errors.js';
import type { Message } from './protocol.js';

export class FrameWriter {
  /** Frames sent in this tick, written together at its end. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** While a read is handled (hold..release): its replies leave when it ends, with no tick scheduled. */
  private held = false;

  constructor(
    private readonly socket: Socket,
    private readonly codec: HerdCodec,
    private readonly maxFrameSize: number,
  ) {}

  /**
   * Queues one message. Throws ProtocolError, queuing nothing, when it cannot
   * be encoded or is larger than a frame may be (the peer would close the
   * whole connection for it): the caller or the call concerned gets the error.
   */
  send(m: Message): void {
    if (this.socket.destroyed) return;
    const framed = this.codec.encodeFrame(m);
    if (framed.length - 4 > this.maxFrameSize) {
      throw new ProtocolError(`${m.kind.toUpperCase()} of ${framed.length - 4} bytes exceeds the frame limit of ${this.maxFrameSize}`);
    }
    if (this.queued.length === 0 && !this.held) process.nextTick(this.flush);
    this.queued.push(framed);
    this.queuedBytes += framed.length;
  }

  /** Queues without scheduling a flush until {@link release}: the connection handles a read. */
  hold(): void {
    this.held = true;
  }

  /** Ends {@link hold}: writes what was queued meanwhile, in one write, now. */
  release(): void {
    this.held = false;
    this.flush();
  }

  /**
   * Writes the frames queued since the last flush in one buffer. Runs on
   * nextTick: after the current callback and before any I/O, so a lone
   * frame waits for nothing, while the replies of every call a read brought
   * in (and the calls of every caller resumed in one microtask run) go out
   * in one write.
   */
  readonly flush = (): void => {
    const n = this.queued.length;
    if (n === 0) return;
    const out = n === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    if (this.socket.writable) this.socket.write(out);
  };
}
