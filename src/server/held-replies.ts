import { JuteWriter } from '../jute/writer.js';

/**
 * One connection's frames waiting for their zxid barrier to be durable
 * (replies to reads and writes after a write not yet fsynced, and watch
 * events of such a write), encoded back to back into one reused buffer: no
 * buffer per reply. They leave in order, as a prefix, once the log says
 * their barrier is durable (connection.ts).
 */
export class HeldReplies {
  /** Where a held frame is encoded (connection.ts's startFrame), then noted with {@link add}. */
  readonly writer = new JuteWriter(1024);
  /** Frame i ends at `ends[i]` in {@link writer}, waits for `barriers[i]`, and answers a request when `answers[i]` (not a watch event). */
  private readonly barriers: bigint[] = [];
  private readonly ends: number[] = [];
  private readonly answers: boolean[] = [];

  get isEmpty(): boolean {
    return this.barriers.length === 0;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.writer.offset;
  }

  /** Notes the frame just finished in {@link writer}. */
  add(barrier: bigint, answers: boolean): void {
    this.barriers.push(barrier);
    this.ends.push(this.writer.offset);
    this.answers.push(answers);
  }

  /**
   * Appends the frames whose barrier is now durable to `out`, in order, and
   * returns how many of them answer a request; -1 when none could go.
   */
  release(durable: bigint, out: JuteWriter): number {
    const barriers = this.barriers;
    let n = 0;
    let answered = 0;
    while (n < barriers.length && barriers[n]! <= durable) {
      if (this.answers[n]) answered++;
      n++;
    }
    if (n === 0) return -1;
    const end = this.ends[n - 1]!;
    out.raw(this.writer.view().subarray(0, end));
    if (n === barriers.length) {
      this.writer.reset();
      barriers.length = 0;
      this.ends.length = 0;
      this.answers.length = 0;
    } else {
      // What still waits is at most a pipeline's worth of frames: move it to the front.
      this.writer.discard(end);
      for (let i = n; i < this.ends.length; i++) this.ends[i]! -= end;
      barriers.splice(0, n);
      this.ends.splice(0, n);
      this.answers.splice(0, n);
    }
    return answered;
  }
}
