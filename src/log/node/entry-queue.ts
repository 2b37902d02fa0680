/**
 * The consumer side of a streamed read: the node's replies (checked
 * record bytes, src/log/protocol/messages/read-range.ts) pushed as they
 * arrive, pulled by a `for await` loop a reply at a time
 * ({@link EntryQueue.batches}: each reply's entries decoded when pulled,
 * straight into what the caller builds) or an entry at a time
 * ({@link EntryQueue.iterate}). A failure is thrown after the entries
 * received before it. A consumer that stops early (break, return) makes
 * later replies be dropped.
 */
import { decodeRecords, makeLogEntry, type EntryMaker } from '../protocol/messages/read-range.js';
import type { LogEntry } from '../protocol/messages/entry.js';

interface Reply {
  readonly records: Buffer;
  readonly count: number;
}

export class EntryQueue {
  private readonly queued: Reply[] = [];
  private done = false;
  private error: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  /** A reply's `count` records; `last` marks the end of the stream. */
  push(records: Buffer, count: number, last: boolean): void {
    if (this.stopped) return;
    if (count > 0) this.queued.push({ records, count });
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

  /** The entries of each reply (never empty) as `make` builds them, in arrival order: one async step per reply, not per entry. */
  async *batches<T>(make: EntryMaker<T>): AsyncGenerator<T[]> {
    try {
      for (;;) {
        const reply = this.queued.shift();
        if (reply !== undefined) {
          yield decodeRecords(reply.records, reply.count, make);
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
    for await (const batch of this.batches(makeLogEntry)) for (const e of batch) yield e;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
