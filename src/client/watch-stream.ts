import type { HerdError } from '../errors.js';
import type { PersistentWatchEvent } from './watch-event.js';

interface Reader {
  resolve(result: IteratorResult<PersistentWatchEvent, undefined>): void;
  reject(error: HerdError): void;
}

/**
 * The events of a persistent watch as an async iterator, from
 * {@link Client.watch}:
 *
 * ```ts
 * const events = client.watch('/config', { recursive: true });
 * await events.ready;
 * let config = await readAll();
 * for await (const event of events) {
 *   if (event.type === 'resync') config = await readAll(); // changes may have been missed
 *   else config = await reread(config, event.path);
 * }
 * ```
 *
 * Besides node events it yields a {@link ResyncEvent} once after every
 * reconnect and every new session: ZooKeeper does not replay what a
 * persistent watch missed while the client was away, so read the state
 * again. Events are buffered until read (without bound: read them).
 * Leaving the loop (`break`, `return()`) removes the watch. The iteration
 * ends when the client closes, and throws SessionExpiredError (or
 * AuthFailedError) when the session ends, after the events received
 * before; with `reconnectOnExpiry` an expiry does not end it.
 */
export class WatchStream implements AsyncIterableIterator<PersistentWatchEvent, undefined> {
  private readonly buffered: PersistentWatchEvent[] = [];
  private readers: Reader[] = [];
  private finished = false;
  private failure: HerdError | undefined;
  /** Resolves once the server registered the watch; rejects if it refused. */
  readonly ready: Promise<void>;

  /**
   * @param registered the addWatch request
   * @param unsubscribe called once when the consumer stops iterating
   */
  constructor(
    registered: Promise<void>,
    private readonly unsubscribe: () => void,
  ) {
    this.ready = registered;
    registered.catch((error: HerdError) => this.end(error));
  }

  /** Delivers an event (from the client's dispatch). */
  push(event: PersistentWatchEvent): void {
    if (this.finished) return;
    const reader = this.readers.shift();
    if (reader !== undefined) reader.resolve({ value: event, done: false });
    else this.buffered.push(event);
  }

  /** Ends the stream: readers see the buffered events, then `error` (if any), then the end. */
  end(error?: HerdError): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) this.settle(r);
  }

  next(): Promise<IteratorResult<PersistentWatchEvent, undefined>> {
    return new Promise((resolve, reject) => {
      const reader: Reader = { resolve, reject };
      if (this.buffered.length > 0 || this.finished) this.settle(reader);
      else this.readers.push(reader);
    });
  }

  return(): Promise<IteratorResult<PersistentWatchEvent, undefined>> {
    this.buffered.length = 0;
    this.failure = undefined;
    if (!this.finished) {
      this.end();
      this.unsubscribe();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settle(reader: Reader): void {
    const event = this.buffered.shift();
    if (event !== undefined) {
      reader.resolve({ value: event, done: false });
    } else if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      reader.reject(error);
    } else {
      reader.resolve({ value: undefined, done: true });
    }
  }
}
