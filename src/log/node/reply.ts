/**
 * The reply stage: what a request's handler answers with. An
 * {@link Exchange} is one request on one connection; it encodes each
 * answer as a frame (./../protocol/frame.ts) carrying the request's kind
 * and id, and writes it to the connection. The first final answer (`ok` or
 * `fail`) ends the exchange; anything after it is ignored, so a handler
 * cannot answer twice. Each ended exchange is reported to the connection's
 * {@link RequestObserver} (the node's metrics): kind, status, time taken.
 *
 * An ADD_ENTRIES request is answered through a {@link BatchAnswer}: each
 * of its entries goes to the storage stage as an ADD_ENTRY with an
 * exchange of its own whose answer, instead of a frame, is collected; once
 * every entry is answered, the batch gets one reply.
 */
import type { Codec } from '../../jute/writer.js';
import { ErrorBodyCodec, writeFrame } from '../protocol/frame.js';
import { Status } from '../protocol/status.js';
import type { NodeConnection } from './connection.js';

export class Exchange {
  private finished = false;
  private readonly startedAt = performance.now();

  constructor(
    protected readonly conn: NodeConnection,
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

  /** Sends the final reply. */
  protected answer<T>(status: number, codec: Codec<T>, body: T): void {
    this.conn.write((w) => writeFrame(w, this.kind, this.requestId, status, codec, body));
  }

  /** An entry of a batch (reported as such to the observer). */
  protected get partOfBatch(): boolean {
    return false;
  }

  private end(status: number): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.conn.requestDone();
    this.conn.observer?.requestDone(this.kind, status, performance.now() - this.startedAt, this.partOfBatch);
    return true;
  }
}

/** How a batch ended: OK, or the status and message of its first failed entry. */
export type BatchOutcome = { readonly status: typeof Status.OK } | { readonly status: number; readonly index: number; readonly message: string };

/**
 * Collects the answers of a batch's entries and calls `done` once, when
 * the last one is in: OK when all were, else the failure of the lowest
 * entry index that failed (whatever order the answers came in).
 */
export class BatchAnswer {
  private left: number;
  private failure: { status: number; index: number; message: string } | undefined;

  constructor(
    count: number,
    private readonly done: (outcome: BatchOutcome) => void,
  ) {
    this.left = count;
  }

  /** The exchange through which entry `index` of the batch is answered. */
  member(conn: NodeConnection, kind: number, requestId: number, index: number): Exchange {
    return new BatchMemberExchange(conn, kind, requestId, this, index);
  }

  /** @internal entry `index` was answered. */
  settle(index: number, status: number, message: string): void {
    if (status !== Status.OK && (this.failure === undefined || index < this.failure.index)) this.failure = { status, index, message };
    if (--this.left === 0) this.done(this.failure ?? { status: Status.OK });
  }
}

/** One entry of a batch: its answer goes to the {@link BatchAnswer}, not to the socket. */
class BatchMemberExchange extends Exchange {
  constructor(
    conn: NodeConnection,
    kind: number,
    requestId: number,
    private readonly batch: BatchAnswer,
    private readonly index: number,
  ) {
    super(conn, kind, requestId);
  }

  protected override get partOfBatch(): boolean {
    return true;
  }

  protected override answer<T>(status: number, _codec: Codec<T>, body: T): void {
    // A failure's body is always its message (ErrorBodyCodec).
    this.batch.settle(this.index, status, status === Status.OK ? '' : String(body));
  }
}
