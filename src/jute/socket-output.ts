import type { Writable } from 'node:stream';
import { JuteWriter } from './writer.js';

/**
 * The frames a connection encodes in place for one socket, handed to the
 * socket at each flush without copying them out. The socket holds a written
 * buffer until the kernel has taken it, so the flushed writer comes back
 * from the write's callback and the frames meanwhile go into another one; a
 * socket holding `maxHeld` of them (a slow reader) gets copies instead, so a
 * connection never pins more than that many buffers.
 */
export class SocketOutput {
  private current: JuteWriter;
  private readonly free: JuteWriter[] = [];
  private held = 0;

  constructor(
    private readonly initialSize = 4096,
    private readonly maxHeld = 4,
  ) {
    this.current = new JuteWriter(initialSize);
  }

  /** Where this turn's frames are encoded; a different writer after each {@link flush}. */
  get writer(): JuteWriter {
    return this.current;
  }

  /** Writes what was encoded since the last flush, if anything, as one socket write. */
  flush(socket: Writable): void {
    const sent = this.current;
    if (sent.offset === 0) return;
    if (this.held >= this.maxHeld) {
      socket.write(sent.take());
      return;
    }
    this.current = this.free.pop() ?? new JuteWriter(this.initialSize);
    this.held++;
    socket.write(sent.view(), () => {
      this.held--;
      sent.reset();
      if (this.free.length < this.maxHeld) this.free.push(sent);
    });
  }
}
