/**
 * The request/reply machinery of a storage node client (./node-client.ts):
 * one connection, many requests in flight. Each request gets an id and its
 * reply is matched by that id (replies may come in any order); requests
 * written in one tick go out as one socket write; one periodic sweep times
 * out what is unanswered; and every way the connection can end (dropped,
 * broken protocol, another protocol version, closed by its owner) fails
 * every pending request in one place ({@link RequestChannel.failAll}).
 * The requests themselves are ./node-client-calls.ts and
 * ./node-client-reads.ts.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { isHandshakeFailure, NodeAuthenticationError } from './tls.js';
import type { Clock } from '../../base/clock.js';
import { ClientClosedError, HerdError, TimeoutError } from '../../errors.js';
import { JuteDecodeError } from '../../jute/decode-error.js';
import { JuteReader } from '../../jute/reader.js';
import { JuteWriter, type Codec } from '../../jute/writer.js';
import { BadRequestError, LogProtocolError, NodeDisconnectedError, UnsupportedVersionError } from '../errors.js';
import { ErrorBodyCodec, PROTOCOL_VERSION, readHeader, writeFrame, type FrameHeader } from '../protocol/frame.js';
import { FrameDecoder, type FrameEvent } from '../protocol/frame-decoder.js';
import { Messages } from '../protocol/kinds.js';
import { expectEnd } from '../protocol/messages/fields.js';
import type { Message } from '../protocol/messages/message.js';
import { Status, errorFromStatus, type StatusContext } from '../protocol/status.js';

/** What a socket error means to the caller: a TLS refusal (a configuration to fix) or a lost connection. */
export function connectionError(where: string, error: Error, tls: boolean): HerdError {
  if (tls && isHandshakeFailure(error)) {
    return new NodeAuthenticationError(`${where}: TLS failed (${error.message}): check the node's certificate, the \`tls\` option's ca, and a client certificate when the node asks for one`, { cause: error });
  }
  return new NodeDisconnectedError(`${where}: ${error.message}`, { cause: error });
}

/** A request waiting for its reply (or, for a stream, its last reply). */
export interface Pending {
  readonly what: string;
  /** The ids the request is about, to build the storage layer's errors from a failed reply. */
  readonly context: StatusContext;
  /** Clock time after which the sweep times it out; Infinity for none. */
  deadline: number;
  /** One reply with status OK; returns true when it was the last. */
  reply(r: JuteReader): boolean;
  fail(error: HerdError): void;
}

export const MAX_REQUEST_ID = 0x7fffffff;

/**
 * The body of a request encoded once, to be sent as it is by
 * {@link RequestChannel.callEncoded} to each node it goes to (a writer's
 * batch to the W nodes of its write set). `bytes` is a view of its own
 * buffer, never written again.
 */
export function encodeRequest<Req>(message: Message<Req, unknown>, body: Req, sizeHint = 256): Uint8Array {
  const w = new JuteWriter(sizeHint);
  message.request.write(w, body);
  return w.view();
}

/** Bytes already encoded, written as they are. */
const Encoded: Codec<Uint8Array> = {
  write: (w, bytes) => void w.raw(bytes),
  read: () => {
    throw new Error('an encoded body is never read');
  },
};

/** One connection to a node and the requests in flight on it. */
export class RequestChannel {
  private readonly pending = new Map<number, Pending>();
  /** Ids of requests that timed out: their late replies are dropped, not taken for protocol errors. */
  private readonly abandoned = new Set<number>();
  private readonly decoder: FrameDecoder;
  private readonly out = new JuteWriter(1024);
  private flushScheduled = false;
  private lastId = 0;
  private failure: HerdError | undefined;
  private sweepTimer: unknown;

  constructor(
    protected readonly socket: Socket,
    readonly address: string,
    /** Ms a request may go unanswered (0: for ever). */
    readonly timeout: number,
    maxFrameSize: number,
    protected readonly clock: Clock,
  ) {
    this.decoder = new FrameDecoder(maxFrameSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.failAll(connectionError(`log node ${address}`, error, socket instanceof TLSSocket)));
    socket.on('close', () => this.failAll(new NodeDisconnectedError(`log node ${address}: connection closed`)));
  }

  get connected(): boolean {
    return this.failure === undefined;
  }

  async close(): Promise<void> {
    this.failAll(new ClientClosedError(`log node client for ${this.address} is closed`));
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
  // ---- requests ----------------------------------------------------------------------

  /** Sends a request with one reply; resolves with its body. */
  protected call<Req extends StatusContext, Rep>(message: Message<Req, Rep>, body: Req, what: string, timeout = this.timeout): Promise<Rep> {
    return new Promise<Rep>((resolve, reject) => {
      this.send(message, body, {
        what,
        context: body,
        deadline: this.deadlineFrom(timeout),
        reply: (r) => {
          const value = message.reply.read(r);
          expectEnd(r, what);
          resolve(value);
          return true;
        },
        fail: reject,
      });
    });
  }

  /** Sends a request whose replies go to `pending` (which fails at once when the connection has failed). */
  send<Req>(message: Message<Req, unknown>, body: Req, pending: Pending): void {
    if (this.failure !== undefined) {
      pending.fail(this.failure);
      return;
    }
    writeFrame(this.out, message.kind, this.register(pending), Status.OK, message.request, body);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * Sends a request of `message` whose body was encoded by
   * {@link encodeRequest} (the same bytes may go to several nodes), with
   * no promise: `done` is called once, with nothing when the node answered
   * OK (its reply checked), or with the error a call would reject with
   * (synchronously when the connection has failed already). The frame and
   * any queued before it are written to the socket now, not at the end of
   * the tick: a writer puts one batch on the sockets of all its nodes in
   * the same turn.
   */
  callEncoded(message: Message<unknown, unknown>, body: Uint8Array, context: StatusContext, what: string, done: (error?: HerdError) => void): void {
    if (this.failure !== undefined) {
      done(this.failure);
      return;
    }
    const id = this.register({
      what,
      context,
      deadline: this.deadlineFrom(this.timeout),
      reply: (r) => {
        message.reply.read(r);
        expectEnd(r, what);
        done();
        return true;
      },
      fail: done,
    });
    writeFrame(this.out, message.kind, id, Status.OK, Encoded, body);
    this.flush();
  }

  /** A request id for `pending`, which now waits for its reply. */
  private register(pending: Pending): number {
    const id = this.nextId();
    this.pending.set(id, pending);
    this.scheduleSweep();
    return id;
  }

  private nextId(): number {
    // Skips 0 (the node's id for a frame it could not read) and ids still in use after a wrap.
    do this.lastId = this.lastId >= MAX_REQUEST_ID ? 1 : this.lastId + 1;
    while (this.pending.has(this.lastId) || this.abandoned.has(this.lastId));
    return this.lastId;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.offset === 0 || this.failure !== undefined) return;
    this.socket.write(this.out.take());
  }

  /** The clock time a request sent now with `timeout` ms times out (Infinity for 0: never). */
  deadlineFrom(timeout: number): number {
    return timeout === 0 ? Infinity : this.clock.now() + timeout;
  }

  // ---- replies -----------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    const fault = this.decoder.push(chunk, (event) => this.onFrame(event));
    if (fault !== undefined) this.protocolError(fault);
  }

  private onFrame(event: FrameEvent): void {
    if (this.failure !== undefined) return;
    if (event.type === 'oversized') {
      this.protocolError(`a reply of ${event.length} bytes is larger than maxFrameSize ${this.decoder.maxFrameSize}`);
      return;
    }
    const r = new JuteReader(event.frame);
    let header: FrameHeader;
    try {
      header = readHeader(r);
    } catch {
      this.protocolError(`a reply of ${event.frame.length} bytes is shorter than a header`);
      return;
    }
    if (header.version !== PROTOCOL_VERSION) {
      // Another version's body cannot be read, but its header and error message can (frame.ts): say which versions differ.
      const text = header.status === Status.OK ? '' : ` (the node says: ${readMessage(r)})`;
      this.failAll(versionError(this.address, header.version, text));
      this.socket.destroy();
      return;
    }
    const pending = this.pending.get(header.requestId);
    if (pending === undefined) {
      if (this.abandoned.has(header.requestId)) {
        // The late reply of a request that timed out; a stream's replies go on until its last.
        if (header.status !== Status.OK || header.kind !== Messages.ReadRange.kind || !isStreamPart(event.frame)) this.abandoned.delete(header.requestId);
        return;
      }
      const text = header.status === Status.OK ? '' : `: ${readMessage(r)}`;
      this.protocolError(`a reply to request ${header.requestId}, which was never sent (status ${header.status}${text})`);
      return;
    }
    if (header.status !== Status.OK) {
      this.pending.delete(header.requestId);
      pending.fail(errorFromStatus(header.status, `log node ${this.address}: ${readMessage(r)}`, pending.context));
      return;
    }
    let last: boolean;
    try {
      last = pending.reply(r);
    } catch (error) {
      if (!(error instanceof JuteDecodeError || error instanceof BadRequestError)) throw error;
      this.protocolError(`${pending.what}: reply does not decode: ${error.message}`);
      return;
    }
    if (last) this.pending.delete(header.requestId);
    else pending.deadline = this.deadlineFrom(this.timeout);
  }

  private protocolError(reason: string): void {
    this.failAll(new LogProtocolError(`log node ${this.address} broke the protocol: ${reason}`));
    this.socket.destroy();
  }

  /** The one place pending requests fail at once: the connection dropped, broke the protocol, or was closed. */
  private failAll(error: HerdError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.clock.clearTimeout(this.sweepTimer);
    const all = [...this.pending.values()];
    this.pending.clear();
    this.abandoned.clear();
    this.out.reset();
    for (const p of all) p.fail(error);
  }

  // ---- the timeout sweep -------------------------------------------------------------

  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.timeout === 0 || this.failure !== undefined) return;
    const every = Math.min(1000, Math.max(10, this.timeout / 10));
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
      if (this.pending.size > 0) this.scheduleSweep();
    }, every);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      this.abandoned.add(id);
      p.fail(new TimeoutError(`${p.what} on log node ${this.address}: no reply within ${this.timeout} ms`));
    }
  }
}

/** True when an OK READ_RANGE reply (header already read) is not the stream's last: its final byte is `done`. */
function isStreamPart(frame: Buffer): boolean {
  return frame.length > 0 && frame[frame.length - 1] === 0;
}

/** A node that speaks another protocol version: the two refuse each other. */
export function versionError(address: string, version: number, detail = ''): UnsupportedVersionError {
  return new UnsupportedVersionError(
    `log node ${address} speaks protocol version ${version}, this client speaks ${PROTOCOL_VERSION}${detail}: run the same version of herd-zk on the nodes and their clients`,
  );
}

function readMessage(r: JuteReader): string {
  try {
    return ErrorBodyCodec.read(r);
  } catch {
    return '(unreadable message)';
  }
}
