import type { HerdError } from '../errors.js';
import type { Op } from '../jute/ops/op.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { Codec, JuteWriter } from '../jute/writer.js';
import { Queue } from './queue.js';

/**
 * One request of the pipeline, from the moment it is issued until its reply
 * (or failure) settles it. The request owns the decoding of its reply and
 * the completion of its promise, so the promise the user awaits is settled
 * directly from the frame handler, in wire order with watch events.
 */
export interface PendingRequest {
  /** The op code, written in the RequestHeader. */
  readonly type: number;
  /** The op name and path, for errors. */
  readonly opName: string;
  readonly path: string | undefined;
  /** Writes the request body. */
  readonly encode: (w: JuteWriter) => void;
  /** Decodes the reply body (used only when err is 0); undefined when the reply has none. */
  readonly response: Codec<unknown> | undefined;
  /**
   * Settles the request with its reply header and decoded body (undefined
   * when err is not 0). Called from the frame handler: must not throw, and
   * must run no user code synchronously (promise settlement only).
   */
  complete(header: ReplyHeader, response: unknown): void;
  /** Settles the request with a failure (connection loss, expiry, timeout). */
  fail(error: HerdError): void;
  /** When it was issued ({@link Clock.now}), for the request timeout. */
  readonly issuedAt: number;
  /** The xid it was sent with; assigned when written. */
  xid: number;
}

/**
 * The requests written to the current connection and not yet answered, in
 * the order sent. ZooKeeper answers in that order, so every reply must
 * match the head's xid; anything else is a protocol error of the
 * connection. Ping (-2), auth (-4) and notification (-1) frames are not
 * matched here.
 */
export class PendingRequests {
  private readonly queue = new Queue<PendingRequest>();

  get length(): number {
    return this.queue.length;
  }

  push(request: PendingRequest): void {
    this.queue.push(request);
  }

  /** The oldest unanswered request. */
  peek(): PendingRequest | undefined {
    return this.queue.peek();
  }

  /**
   * Removes and returns the head if it was sent with `xid`; undefined means
   * the reply is out of order (or unsolicited) and the connection is broken.
   */
  take(xid: number): PendingRequest | undefined {
    const head = this.queue.peek();
    if (head === undefined || head.xid !== xid) return undefined;
    this.queue.shift();
    return head;
  }

  /** Fails every request with the error built for it, oldest first, and empties the FIFO. */
  failAll(error: (request: PendingRequest) => HerdError): void {
    for (const request of this.queue.drain()) request.fail(error(request));
  }
}

/** How a request built by {@link rawRequest} settles. */
export interface RawSettlement {
  /** The reply arrived: its header, and its decoded body when err is 0. Must not throw. */
  complete(header: ReplyHeader, response: unknown): void;
  /** The request failed (connection loss, expiry, close, timeout). */
  fail(error: HerdError): void;
}

/**
 * The one way to build a request that has no typed promise of its own
 * (closeSession, setWatches, {@link Client.request}); typed calls use
 * {@link OpRequest}. Its path (for errors) is the body's `path`, if any.
 */
export function rawRequest<Req>(op: Op<Req, unknown>, body: Req, issuedAt: number, settle: RawSettlement): PendingRequest {
  return {
    type: op.code,
    opName: op.name,
    path: pathOf(body),
    encode: (w) => op.request.write(w, body),
    response: op.response,
    complete: settle.complete,
    fail: settle.fail,
    issuedAt,
    xid: 0,
  };
}

/** The context of a request's errors: its op, and its path when it has one. */
export function requestContext(request: Pick<PendingRequest, 'opName' | 'path'>): { op: string; path?: string } {
  return request.path === undefined ? { op: request.opName } : { op: request.opName, path: request.path };
}

function pathOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'path' in body && typeof body.path === 'string') return body.path;
  return undefined;
}
