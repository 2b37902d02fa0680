/**
 * The consumer side of a streamed read: batches of entries pushed as the
 * node's replies arrive, pulled by a `for await` loop a batch at a time
 * ({@link EntryQueue.batches}) or an entry at a time
 * ({@link EntryQueue.iterate}, one generator over the batches). A failure
 * is thrown after the entries received before it. A consumer that stops
 * early (break, return) makes later batches be dropped.
 */
import type { LogEntry } from '../protocol/messages/entry.js';

export class EntryQueue {
  private readonly queued: (readonly LogEntry[])[] = [];
  private done = false;
  private error: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  /** A reply's entries; `last` marks the end of the stream. */
  push(entries: readonly LogEntry[], last: boolean): void {
    if (this.stopped) return;
    if (entries.length > 0) this.queued.push(entries);
    if (last) this.done = true;
    this.notify();
  }

  /** Ends the stream with an error (after what was pushed before). */
  fail(error: Error): void {
    if (this.stopped || this.done) return;
    this.error = error;
    this.done = true;
    this.notify();
  }

  /** The batches (never empty) in arrival order: one async step per reply, not per entry. */
  async *batches(): AsyncGenerator<readonly LogEntry[]> {
    try {
      for (;;) {
        const batch = this.queued.shift();
        if (batch !== undefined) {
          yield batch;
          continue;
        }
        if (this.done) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.stopped = true;
      this.queued.length = 0;
    }
  }

  /** The entries one at a time. */
  async *iterate(): AsyncGenerator<LogEntry> {
    for await (const batch of this.batches()) for (const e of batch) yield e;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
