/**
 * The consumer side of a streamed read: batches of entries pushed as the
 * node's replies arrive, pulled one entry at a time by a `for await` loop.
 * A failure is thrown after the entries received before it. A consumer
 * that stops early (break, return) makes later batches be dropped.
 */
import type { LogEntry } from '../protocol/messages/entry.js';

export class EntryQueue {
  private readonly batches: (readonly LogEntry[])[] = [];
  private index = 0;
  private done = false;
  private error: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  /** A reply's entries; `last` marks the end of the stream. */
  push(entries: readonly LogEntry[], last: boolean): void {
    if (this.stopped) return;
    if (entries.length > 0) this.batches.push(entries);
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

  async *iterate(): AsyncIterableIterator<LogEntry> {
    try {
      for (;;) {
        const batch = this.batches[0];
        if (batch !== undefined) {
          if (this.index < batch.length) {
            yield batch[this.index++]!;
            continue;
          }
          this.batches.shift();
          this.index = 0;
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
      this.batches.length = 0;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
