/**
 * Streams over a connection, with credit-based flow control (protocol.ts:
 * ITEM, END, CREDIT, STOP). The consumer grants credit; the producer pulls
 * its iterator only while it has credit, so neither side ever holds more
 * than {@link STREAM_WINDOW} items of a stream, however slow the consumer.
 */
import { InvalidStateError, type HerdError } from '../errors.js';
import { ProtocolError } from './errors.js';
import type { Message, WireError } from './protocol.js';

/** Items a consumer lets a producer send ahead: at most this many are in flight or buffered per stream. */
export const STREAM_WINDOW = 16;

/**
 * A stream the other process produces, as its consumer sees it: an async
 * iterator. Breaking out of `for await` (or `return()`) stops the producer:
 * its iterator's `return()` runs, and so do its `finally` blocks. An error
 * the producer threw arrives as the remote error; a lost connection as
 * RpcConnectionError.
 */
export interface RemoteStream<T> extends AsyncIterableIterator<T> {
  /** Stops the stream (as breaking out of the loop does). */
  return(): Promise<IteratorResult<T>>;
}

type Send = (m: Message) => void;

export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

/** The consumer's end of a stream the peer produces (handle numbered by the peer). */
export class IncomingStream implements RemoteStream<unknown> {
  private readonly queue: unknown[] = [];
  private taken = 0;
  /** Credit granted and not yet used by an ITEM: a producer sending more breaks the protocol. */
  private credit = STREAM_WINDOW;
  private ended = false;
  private error: HerdError | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly handle: number,
    private readonly send: Send,
    private readonly toError: (e: WireError) => HerdError,
    private readonly onDone: () => void,
  ) {
    send({ kind: 'credit', handle, n: STREAM_WINDOW });
  }

  /** Items received and not yet taken (for tests and accounting). */
  get buffered(): number {
    return this.queue.length;
  }

  /** An ITEM or END from the peer. Throws ProtocolError for an ITEM beyond the credit granted (the peer would make us buffer without bound). */
  receive(m: Message & { kind: 'item' | 'end' }): void {
    if (this.ended) return;
    if (m.kind === 'item') {
      if (this.credit-- <= 0) throw new ProtocolError(`stream ${this.handle}: an item sent without credit`);
      this.queue.push(m.value);
    } else this.finish(m.error ? this.toError(m.error) : undefined);
    this.wake();
  }

  /** The connection was lost: the stream fails with `error` once its buffered items are taken. */
  fail(error: HerdError): void {
    if (this.ended) return;
    this.finish(error);
    this.wake();
  }

  async next(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.queue.length > 0) {
        const value = this.queue.shift();
        // Top up once half the window is taken: the producer never waits for each item's credit.
        if (!this.ended && ++this.taken >= STREAM_WINDOW / 2) {
          this.send({ kind: 'credit', handle: this.handle, n: this.taken });
          this.credit += this.taken;
          this.taken = 0;
        }
        return { value, done: false };
      }
      if (this.ended) {
        if (this.error) {
          const error = this.error;
          this.error = undefined;
          throw error;
        }
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async return(): Promise<IteratorResult<unknown>> {
    if (!this.ended) {
      this.send({ kind: 'stop', handle: this.handle });
      this.finish(undefined);
    }
    this.queue.length = 0;
    this.error = undefined;
    this.wake();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(error: HerdError | undefined): void {
    this.ended = true;
    this.error = error;
    this.onDone();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** The producer's end: pulls `source` only while the consumer's credit lasts. */
export class OutgoingStream {
  private readonly iterator: AsyncIterator<unknown>;
  private credit = 0;
  private pumping = false;
  private stopped = false;
  /** Items sent so far (for tests and accounting). */
  sent = 0;

  constructor(
    private readonly handle: number,
    source: AsyncIterable<unknown>,
    private readonly send: Send,
    private readonly toWire: (e: unknown) => WireError,
    private readonly onDone: () => void,
    private readonly controller?: AbortController,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** CREDIT from the consumer. */
  grant(n: number): void {
    this.credit += n;
    void this.pump();
  }

  /**
   * STOP from the consumer, or the connection or call ended: returns the
   * iterator (its finally blocks run). `notify` tells the consumer (END
   * with `reason`), when it did not ask for the stop itself.
   */
  stop(reason: HerdError, notify = false): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onDone();
    if (notify) this.send({ kind: 'end', handle: this.handle, error: this.toWire(reason) });
    this.controller?.abort(reason);
    // An async generator busy in next() runs return() after it: the aborted signal is what cuts a wait short.
    void Promise.resolve()
      .then(() => this.iterator.return?.())
      .catch(() => undefined);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.credit > 0 && !this.stopped) {
        const r = await this.iterator.next();
        if (this.stopped) return;
        if (r.done) return this.end(undefined);
        this.credit--;
        try {
          this.send({ kind: 'item', handle: this.handle, value: r.value });
        } catch (error) {
          // An item that cannot be encoded ends the stream with that error, as a throw would.
          this.end(error);
          void Promise.resolve(this.iterator.return?.()).catch(() => undefined);
          return;
        }
        this.sent++;
      }
    } catch (error) {
      if (!this.stopped) this.end(error);
    } finally {
      this.pumping = false;
    }
  }

  private end(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onDone();
    this.send({ kind: 'end', handle: this.handle, error: error === undefined ? undefined : this.toWire(error) });
  }
}

/**
 * `promise` (a call's result) that can also be iterated with `for await`:
 * iterating awaits the call and then reads the stream it returned. A
 * result that is not a stream is an InvalidStateError when iterated.
 */
export function streamable<T>(promise: Promise<T>, what: string): Promise<T> & AsyncIterable<unknown> {
  // Two properties on the promise itself, and one shared method: every call's result is streamable, few are
  // streams, so making one costs no closures or objects.
  const p = promise as Streamable<T>;
  p[WHAT] = what;
  p[Symbol.asyncIterator] = iterateResult;
  return p;
}

const WHAT = Symbol('what');

type Streamable<T> = Promise<T> & AsyncIterable<unknown> & { [WHAT]: string };

function iterateResult(this: Streamable<unknown>): AsyncIterator<unknown> {
  const promise = this;
  let inner: Promise<AsyncIterator<unknown>> | undefined;
  const start = async (): Promise<AsyncIterator<unknown>> => {
    const value = await promise;
    if (!isAsyncIterable(value)) throw new InvalidStateError(`${promise[WHAT]}: the result is not a stream`);
    return value[Symbol.asyncIterator]();
  };
  return {
    next: async () => (await (inner ??= start())).next(),
    return: async () => {
      if (inner === undefined) promise.then((v) => void (v instanceof IncomingStream && v.return()), () => undefined);
      else await (await inner).return?.();
      return { value: undefined, done: true };
    },
  };
}
