import { ConnectionLossError, MarshallingError, RequestTimeoutError, type HerdError } from '../errors.js';
import type { Clock } from '../base/clock.js';
import { OpCode, Xid } from '../jute/op-codes.js';
import { AuthPacketCodec } from '../jute/ops/auth.js';
import { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import { ReplyHeaderCodec, RequestHeaderCodec, type ReplyHeader } from '../jute/records/headers.js';
import { WatcherEventCodec, type WatcherEvent } from '../jute/records/watcher-event.js';
import type { SessionIdentity } from './connection-attempt.js';
import type { Connection } from './connection.js';
import type { Heartbeat } from './heartbeat.js';
import { PendingRequests, requestContext, type PendingRequest } from './pending-requests.js';
import { Queue } from './queue.js';
import type { AuthEntry } from './session-auth.js';
import { Timer } from './timer.js';

const MAX_XID = 0x7fffffff;

/** An auth packet written to the current connection, answered with xid -4 in the order sent. */
export type AuthInFlight =
  | { readonly kind: 'entry'; readonly entry: AuthEntry; readonly startup: boolean }
  | { readonly kind: 'raw'; readonly request: PendingRequest };

/** What the pipeline tells the session. */
export interface PipelineOwner {
  /** A watch notification arrived (server paths). */
  notification(event: WatcherEvent): void;
  /** An auth packet was answered (a raw one is already settled). */
  authReplied(item: AuthInFlight, header: ReplyHeader): void;
  /** A written request got no reply within the request timeout: the connection cannot be trusted. */
  stalled(error: HerdError): void;
}

/** The context a mass failure builds each error from. */
export type ErrorFor = (ctx: { op?: string; path?: string }) => HerdError;

/**
 * The session's requests from issue to reply: xids, the queue of requests
 * waiting for a connection, the requests written and not yet answered (and
 * the ping and auth packets, answered in order under their own xids), the
 * request deadline, and the reading of every reply frame after the
 * handshake.
 *
 * Consumes requests from the session and frames from the ready connection;
 * settles each request from its reply. {@link fail} is the one place that
 * fails waiting requests en masse.
 */
export class RequestPipeline {
  private xid = 0;
  /** The connection whose handshake was accepted; null while there is none (requests wait). */
  private conn: Connection | null = null;
  private readonly written = new PendingRequests();
  private readonly waiting = new Queue<PendingRequest>();
  private readonly auths = new Queue<AuthInFlight>();
  private readonly pings = new Queue<PendingRequest | null>();
  private readonly deadline: Timer;

  constructor(
    private readonly requestTimeout: number,
    private readonly clock: Clock,
    private readonly heartbeat: Heartbeat,
    private readonly identity: SessionIdentity,
    private readonly owner: PipelineOwner,
  ) {
    this.deadline = new Timer(clock, () => this.sweep());
  }

  /** True while a connection takes requests. */
  get ready(): boolean {
    return this.conn !== null;
  }

  /** Starts writing to `conn` (its handshake was accepted). Call {@link flushWaiting} after priming it. */
  open(conn: Connection): void {
    this.conn = conn;
  }

  /** The connection is gone: requests wait again. Call {@link fail} for what was written to it. */
  close(): void {
    this.conn = null;
  }

  /**
   * Issues a request: written at once when a connection is ready, else
   * queued until the next handshake.
   */
  submit(request: PendingRequest): void {
    // A request is submitted as it is issued: its issue time is the send time.
    if (this.conn !== null) this.write(request, request.issuedAt);
    else this.waiting.push(request);
    if (!this.deadline.armed) this.armDeadline();
  }

  /** Writes the queued requests, oldest first. */
  flushWaiting(): void {
    for (let request = this.waiting.shift(); request !== undefined; request = this.waiting.shift()) {
      if (this.conn === null) {
        this.waiting.push(request);
        break;
      }
      this.write(request);
    }
  }

  /** Writes a request to the ready connection now, with the next xid (ping and auth have their own). */
  write(request: PendingRequest, now?: number): void {
    const conn = this.conn!;
    const type = request.type;
    let xid: number;
    if (type === OpCode.ping) xid = Xid.ping;
    else if (type === OpCode.auth) xid = Xid.auth;
    else {
      xid = this.xid = this.xid >= MAX_XID ? 1 : this.xid + 1;
    }
    request.xid = xid;
    try {
      conn.send(encodeRequest, request);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      request.fail(new MarshallingError(`cannot encode request: ${why}`, requestContext(request)));
      return;
    }
    this.heartbeat.sent(now);
    if (type === OpCode.ping) this.pings.push(request);
    else if (type === OpCode.auth) this.auths.push({ kind: 'raw', request });
    else this.written.push(request);
  }

  /** Sends a ping (the heartbeat's: no request to settle). Nothing without a ready connection. */
  sendPing(): void {
    const conn = this.conn;
    if (conn === null) return;
    conn.send((w) => RequestHeaderCodec.write(w, { xid: Xid.ping, type: OpCode.ping }));
    this.pings.push(null);
  }

  /** Sends the credentials of an entry (`startup`: part of priming a new connection). */
  sendAuth(entry: AuthEntry, startup: boolean): void {
    this.conn!.send((w) => {
      RequestHeaderCodec.write(w, { xid: Xid.auth, type: OpCode.auth });
      AuthPacketCodec.write(w, { type: 0, scheme: entry.scheme, auth: entry.auth });
    });
    this.heartbeat.sent();
    this.auths.push({ kind: 'entry', entry, startup });
  }

  /** True when the entry's credentials were sent and not answered yet. */
  authInFlight(entry: AuthEntry): boolean {
    for (const a of this.auths) if (a.kind === 'entry' && a.entry === entry) return true;
    return false;
  }

  /** Handles one frame of the ready connection. Throwing = protocol error of that connection. */
  receive(frame: Buffer): void {
    this.heartbeat.received();
    const r = new JuteReader(frame);
    const header = ReplyHeaderCodec.read(r);
    switch (header.xid) {
      case Xid.notification:
        this.owner.notification(WatcherEventCodec.read(r));
        return;
      case Xid.ping: {
        const waiter = this.pings.shift();
        if (waiter) waiter.complete(header, undefined);
        return;
      }
      case Xid.auth: {
        const item = this.auths.shift();
        if (item === undefined) throw new ConnectionLossError('unexpected auth reply');
        if (item.kind === 'raw') item.request.complete(header, undefined);
        this.owner.authReplied(item, header);
        return;
      }
    }
    const request = this.written.take(header.xid);
    if (request === undefined) {
      const head = this.written.peek();
      throw new ConnectionLossError(
        head === undefined
          ? `unexpected reply with xid ${header.xid}: no request in flight`
          : `reply xid ${header.xid} out of order: expected ${head.xid}`,
      );
    }
    if (header.zxid > 0n) this.identity.lastZxid = header.zxid;
    let body: unknown;
    if (header.err === 0 && request.response !== undefined) {
      try {
        body = request.response.read(r);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        const error = new ConnectionLossError(`malformed ${request.opName} reply: ${why}`, requestContext(request));
        request.fail(error);
        throw error;
      }
    }
    request.complete(header, body);
  }

  /**
   * The one place that fails waiting requests en masse, oldest first.
   * `written`: the connection is gone, so what was written to it fails (it
   * may have been applied); what waits for a connection stays queued.
   * `all`: the session ended; everything fails and the deadline stops.
   */
  fail(scope: 'written' | 'all', errorFor: ErrorFor): void {
    this.written.failAll((r) => errorFor(requestContext(r)));
    if (scope === 'all') {
      for (const r of this.waiting.drain()) r.fail(errorFor(requestContext(r)));
      this.deadline.cancel();
    }
    for (const ping of this.pings.drain()) ping?.fail(errorFor({}));
    for (const item of this.auths.drain()) if (item.kind === 'raw') item.request.fail(errorFor({}));
  }

  /** Arms the one deadline timer for the oldest waiting or written request. */
  private armDeadline(): void {
    const timeout = this.requestTimeout;
    if (timeout <= 0 || this.deadline.armed) return;
    const a = this.waiting.peek();
    const b = this.written.peek();
    if (a === undefined && b === undefined) return;
    const oldest = Math.min(a?.issuedAt ?? Infinity, b?.issuedAt ?? Infinity);
    this.deadline.start(Math.max(1, Math.ceil(oldest + timeout - this.clock.now())));
  }

  private sweep(): void {
    const timeout = this.requestTimeout;
    const now = this.clock.now();
    for (let head = this.waiting.peek(); head !== undefined && now - head.issuedAt >= timeout; head = this.waiting.peek()) {
      this.waiting.shift();
      head.fail(new ConnectionLossError(`not sent: no connection within the request timeout (${timeout} ms)`, requestContext(head)));
    }
    const head = this.written.peek();
    if (head !== undefined && now - head.issuedAt >= timeout) {
      this.written.take(head.xid);
      head.fail(new RequestTimeoutError(`no reply within the request timeout (${timeout} ms)`, requestContext(head)));
      // Replies are ordered: once one is missing, the connection cannot be trusted.
      this.owner.stalled(new ConnectionLossError(`request ${head.opName} timed out after ${timeout} ms`));
    }
    this.armDeadline();
  }
}

/** A request's frame: its RequestHeader (xid already assigned), then its body. Shared, not a closure per request. */
function encodeRequest(w: JuteWriter, request: PendingRequest): void {
  w.int(request.xid).int(request.type);
  request.encode(w);
}
