/**
 * The reply stage: what a request's handler answers with. An
 * {@link Exchange} is one request on one connection; it encodes each
 * answer as a frame (./../protocol/frame.ts) carrying the request's kind
 * and id, and writes it to the connection. The first final answer (`ok` or
 * `fail`) ends the exchange; anything after it is ignored, so a handler
 * cannot answer twice. Each ended exchange is reported to the connection's
 * {@link RequestObserver} (the node's metrics): kind, status, time taken,
 * entries stored.
 */
import type { Codec } from '../../jute/writer.js';
import { ErrorBodyCodec, writeFrame } from '../protocol/frame.js';
import { Status } from '../protocol/status.js';
import type { NodeConnection } from './connection.js';

export class Exchange {
  private finished = false;
  private readonly startedAt = performance.now();
  /** Entries the request stored, for the observer: set by an add's handler before it answers OK. */
  entries = 0;

  constructor(
    private readonly conn: NodeConnection,
    /** The kind of the request (the reply's kind). */
    readonly kind: number,
    /** The id the client chose. */
    readonly requestId: number,
  ) {
    conn.requestStarted();
  }

  /** False once the exchange ended or its connection closed: a streaming handler stops. */
  get open(): boolean {
    return !this.finished && this.conn.open;
  }

  /** The final reply, status OK. */
  ok<T>(codec: Codec<T>, body: T): void {
    if (this.end(Status.OK)) this.answer(Status.OK, codec, body);
  }

  /** One reply of a streamed answer; more follow. */
  part<T>(codec: Codec<T>, body: T): void {
    if (this.open) this.conn.write((w) => writeFrame(w, this.kind, this.requestId, Status.OK, codec, body));
  }

  /** The final reply, a failure: `status` (not OK) and a message saying what failed and where. */
  fail(status: number, message: string): void {
    if (this.end(status)) this.answer(status, ErrorBodyCodec, message);
  }

  /** Resolves when the connection can take more replies (backpressure for streams). */
  writable(): Promise<void> {
    return this.conn.writable();
  }

  /** Calls `callback` once if the connection closes first, until the returned function is called (a waiting request stops). */
  onClosed(callback: () => void): () => void {
    return this.conn.onClosed(callback);
  }

  /** Sends the final reply. */
  private answer<T>(status: number, codec: Codec<T>, body: T): void {
    this.conn.write((w) => writeFrame(w, this.kind, this.requestId, status, codec, body));
  }

  private end(status: number): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.conn.requestDone();
    this.conn.observer?.requestDone(this.kind, status, performance.now() - this.startedAt, status === Status.OK ? this.entries : 0);
    return true;
  }
}
