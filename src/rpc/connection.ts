/**
 * One connection between two processes (see protocol.ts for the frames):
 * the calls this side makes, matched to replies by id, and the calls the
 * other side makes, served by {@link IncomingCalls} (incoming.ts). Either side may call:
 * the connection is symmetric once the HELLOs are exchanged.
 *
 * One failure path (as capnweb's RpcSession.abort): a socket error, end,
 * protocol error or close runs `fail` once, which rejects every pending
 * call with that error, aborts every call being served here, and destroys
 * the socket.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { isTlsHandshakeFailure, tlsConnectOptions } from '../base/tls.js';
import { TimeoutError, type HerdError } from '../errors.js';
import { HerdCodec } from './codec.js';
import { AuthenticationError, ProtocolError, RpcConnectionError } from './errors.js';
import { MAX_TIMEOUT } from './expose.js';
import { FrameReader } from './frames.js';
import { Handles, lendsAny, type PeerLink } from './handles.js';
import { Handshake, awaitConnect, closeError, type HandshakeLink, type HandshakeSecurity } from './handshake.js';
import { IncomingCalls, type Dispatcher, type ServingLink } from './incoming.js';
import { OutgoingCall, PendingCalls, cancelled, remoteError, splitAddress, toWireError, type BatchCall, type CallOptions } from './outgoing.js';
import { DEFAULT_MAX_FRAME_SIZE, GOING_AWAY, type ArgHandle, type FrameLimits, type Message, type WireError } from './protocol.js';
import type { CallerInfo, LookupTlsOptions } from './security.js';
import { FrameWriter } from './writer.js';

/** How a connection proves itself (security.ts, handshake.ts). */
export interface ConnectionSecurity extends HandshakeSecurity {
  /** Caller side: connect over TLS with these options. (The serving side's TLS is its listener's.) */
  tls?: LookupTlsOptions | undefined;
}

export interface ConnectionEvents {
  /** The connection failed or was closed; pending calls have been rejected with the error. */
  closed: [HerdError];
  /** The peer is going away: no new call may be sent; the pending ones still get their replies. */
  draining: [];
}

/** How long a connection that was told GOING_AWAY stays open for replies before it is closed, in ms. */
const DRAIN_GRACE = 1000;

/**
 * A call the peer refused without running it because it is going away:
 * safe to send again to another instance. Internal: the proxy retries.
 */
export class GoingAwayError extends RpcConnectionError {}

export { MAX_TIMEOUT };
export type { BatchCall, CallOptions };

export class Connection extends EventEmitter<ConnectionEvents> implements PeerLink, HandshakeLink, ServingLink {
  private readonly codec: HerdCodec;
  private readonly reader: FrameReader;
  private readonly pending = new PendingCalls((c) =>
    // No CANCEL on a timeout: the server runs the same deadline (sent with
    // the call) and aborts the method with TimeoutError; a CANCEL racing
    // it would make the method see CancelledError instead.
    this.giveUp(c, new TimeoutError(`call ${c.target}.${c.method}: no reply within ${Math.round(c.timeout)} ms`), false),
  );
  private readonly serving: IncomingCalls;
  private nextId = 1;
  private failure: HerdError | undefined;
  /** @internal True once the peer was told, or told us, GOING_AWAY (ServingLink). */
  draining = false;
  /** Until it is done, every message read goes through the handshake (handshake.ts). */
  private handshake: Handshake | undefined;
  /** @internal Who calls this side's objects (serving side, once the handshake is done; ServingLink). */
  caller: CallerInfo | undefined;
  private readonly writer: FrameWriter;
  private readonly handles: Handles;
  /** The peer's identifier from its HELLO. */
  peerIdentifier = '';

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly identifier: string,
    dispatcher: Dispatcher | undefined,
    limits: FrameLimits,
  ) {
    super();
    this.codec = new HerdCodec(limits);
    this.reader = new FrameReader(limits);
    this.writer = new FrameWriter(socket, this.codec, limits.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    this.handles = new Handles(this, dispatcher?.client);
    this.serving = new IncomingCalls(this, this.handles, dispatcher);
    this.handshake = new Handshake(this);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.fail(
        isTlsHandshakeFailure(error)
          ? new AuthenticationError(`TLS with ${address} refused: ${error.message}`, { cause: error })
          : new RpcConnectionError(`connection to ${address}: ${error.message}`, { cause: error }),
      ),
    );
    socket.on('close', () => this.fail(new RpcConnectionError(`connection to ${address} closed`)));
  }

  /**
   * Connects to `address` (`host:port`), over TLS when `security.tls` is
   * given, and runs the handshake (HELLOs; with a secret, the challenge
   * both ways). Rejects with RpcConnectionError (no connection),
   * ProtocolError (another protocol version), AuthenticationError (a TLS
   * certificate refused, a wrong or missing secret on either side).
   */
  static async open(address: string, identifier: string, limits: FrameLimits = {}, dispatcher?: Dispatcher, security: ConnectionSecurity = {}): Promise<Connection> {
    const { host, port } = splitAddress(address);
    const { tls } = security;
    const socket = tls
      ? tlsConnect(tlsConnectOptions(host, port, tls))
      : netConnect({ host, port });
    const conn = new Connection(socket, address, identifier, dispatcher, limits);
    await awaitConnect(conn, socket, tls !== undefined);
    await conn.handshake!.asCaller(identifier, security.secret);
    conn.handshakeDone();
    return conn;
  }

  /**
   * Serves a connection a peer opened: waits for its HELLO and answers it;
   * with a secret, the peer must answer the challenge before anything it
   * sends runs. Rejects as {@link open} does.
   */
  static async accept(socket: Socket, identifier: string, dispatcher: Dispatcher, limits: FrameLimits = {}, security: ConnectionSecurity = {}): Promise<Connection> {
    const conn = new Connection(socket, `${socket.remoteAddress}:${socket.remotePort}`, identifier, dispatcher, limits);
    conn.caller = await conn.handshake!.asServer(socket, identifier, security);
    conn.handshakeDone();
    return conn;
  }

  private handshakeDone(): void {
    const handshake = this.handshake!;
    this.peerIdentifier = handshake.peerIdentifier;
    this.handshake = undefined;
    handshake.release();
  }

  /** True once the connection has failed, been closed, or the peer said it is going away: no new call may go on it. */
  get closed(): boolean {
    return this.failure !== undefined || this.draining;
  }

  /** Remote references this side lends to the peer now. */
  get references(): number {
    return this.handles.references;
  }

  /** Callbacks this side lends to the peer now (each until its call ends, or its reference is released). */
  get callbacks(): number {
    return this.handles.callbacks;
  }

  /**
   * Calls `method` of the peer's object `target`. Top-level arguments that
   * are functions or async iterables are lent (callbacks, streams) for the
   * call's duration; a stream or reference result resolves as one.
   */
  call(target: string, method: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const started = this.start(target, method, args, options);
    if (!(started instanceof OutgoingCall)) return started;
    this.sendCalls([started]);
    return started.promise;
  }

  /** Several calls in one BATCH frame, sharing `options`; each settles on its own. */
  batch(calls: readonly BatchCall[], options: CallOptions): Promise<unknown>[] {
    const started = calls.map((c) => this.start(c.target, c.method, c.args, options));
    const live = started.filter((s): s is OutgoingCall => s instanceof OutgoingCall);
    if (live.length > 0) this.sendCalls(live);
    return started.map((s) => (s instanceof OutgoingCall ? s.promise : s));
  }

  /** Registers one call (not yet sent), or returns its rejection when it cannot be made. */
  private start(target: string, method: string, args: unknown[], options: CallOptions): OutgoingCall | Promise<never> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.draining) return Promise.reject(new GoingAwayError(`call ${target}.${method}: ${this.address} is going away`));
    const { timeout, signal, holder } = options;
    if (signal?.aborted) return Promise.reject(cancelled(target, method, signal));
    const id = this.nextId++;
    const c = new OutgoingCall(id, target, method, timeout, performance.now() + timeout, signal, holder);
    this.pending.add(c);
    if (signal) {
      c.onAbort = () => this.giveUp(c, cancelled(target, method, signal), true);
      signal.addEventListener('abort', c.onAbort, { once: true });
    }
    let sent = args;
    let handles: ArgHandle[] | undefined;
    if (lendsAny(args)) {
      c.scope = { handles: [] };
      ({ args: sent, handles } = this.handles.encodeArgs(args, c.scope));
    }
    c.message = handles ? { kind: 'call', id, target, method, args: sent, timeout, handles } : { kind: 'call', id, target, method, args: sent, timeout };
    return c;
  }

  /** Settles `c` with an error; its lent handles go. */
  private giveUp(c: OutgoingCall, error: HerdError, tellPeer: boolean): void {
    this.pending.remove(c);
    if (c.scope) this.handles.releaseScope(c.scope);
    if (tellPeer && !this.failure) this.send({ kind: 'cancel', id: c.id });
    c.reject(error);
  }

  /** Sends CALLs (one CALL frame, or one BATCH); an encoding failure fails those calls, not the connection. */
  private sendCalls(calls: OutgoingCall[]): void {
    try {
      this.send(calls.length === 1 ? calls[0]!.message : { kind: 'batch', calls: calls.map((c) => c.message) });
    } catch (error) {
      const what = calls.length === 1 ? `call ${calls[0]!.target}.${calls[0]!.method}` : `batch of ${calls.length} calls`;
      const failure = new ProtocolError(`${what}: arguments cannot be sent: ${(error as Error).message}`, { cause: error });
      for (const c of calls) this.giveUp(c, failure, false);
    }
  }

  /** Sends a call nobody waits for (no callbacks or streams: nothing would release them). Throws when the connection is gone. */
  oneway(target: string, method: string, args: unknown[]): void {
    if (this.failure) throw this.failure;
    this.send({ kind: 'oneway', target, method, args });
  }

  /**
   * Graceful close of the serving side: tells the peer GOING_AWAY (it sends
   * no new call, and a call already on its way is refused unrun, so the
   * peer may send it elsewhere), aborts the calls being served, and closes
   * once the peer has closed or after a grace of a second.
   */
  async goAway(): Promise<void> {
    if (this.failure) return;
    const closed = new Promise<void>((resolve) => this.once('closed', () => resolve()));
    this.draining = true;
    this.serving.abortAll(new RpcConnectionError(`the server of ${this.address} is closing`), false);
    this.send({ kind: 'close', code: GOING_AWAY, message: 'the server is closing' });
    const grace = setTimeout(() => this.fail(new RpcConnectionError(`connection to ${this.address} closed by this process`)), DRAIN_GRACE);
    await closed;
    clearTimeout(grace);
  }

  toWire(error: unknown): WireError {
    return toWireError(error);
  }

  toError(error: WireError): HerdError {
    return remoteError(error);
  }

  /** Closes the connection: pending calls reject with RpcConnectionError. */
  async close(): Promise<void> {
    this.fail(new RpcConnectionError(`connection to ${this.address} closed by this process`));
  }

  /** Sends one message (in this tick's write). Throws ProtocolError, sending nothing, when it cannot be encoded or exceeds the frame limit. */
  send(m: Message): void {
    this.writer.send(m);
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let payloads: Buffer[];
    try {
      payloads = this.reader.push(chunk);
    } catch (error) {
      this.protocolFailure(error as ProtocolError);
      return;
    }
    // The replies of the calls this read brings in leave together when it is handled (no tick per read).
    this.writer.hold();
    try {
      for (const payload of payloads) {
        if (this.failure) return;
        let m: Message;
        try {
          m = this.codec.decode(payload);
        } catch (error) {
          this.protocolFailure(error instanceof ProtocolError ? error : new ProtocolError(String(error), { cause: error }));
          return;
        }
        this.onMessage(m);
      }
    } finally {
      this.writer.release();
    }
  }

  /** @internal A message the handshake held, run now that it is done (HandshakeLink). */
  deliver(m: Message): void {
    if (!this.failure) this.onMessage(m);
  }

  private onMessage(m: Message): void {
    if (this.handshake?.intercept(m)) return;
    switch (m.kind) {
      case 'hello':
      case 'auth':
        return this.protocolFailure(new ProtocolError(`${m.kind.toUpperCase()} from ${this.address} after the handshake`));
      case 'result': {
        const c = this.pending.get(m.id);
        if (c) {
          this.pending.remove(c);
          if (c.scope) this.handles.releaseScope(c.scope);
          c.resolve(m.value);
        }
        return this.closeIfDrained();
      }
      case 'handle': {
        const c = this.pending.get(m.id);
        if (c) {
          // The lent handles now live as long as the stream or the reference.
          this.pending.remove(c);
          this.handles.decodeResult(m, (c.scope ??= { handles: [] }), c.timeout, c.holder, `${c.target}.${c.method}`).then(c.resolve, c.reject);
        }
        return this.closeIfDrained();
      }
      case 'batch':
        for (const call of m.calls) this.serving.serve(call);
        return;
      case 'item':
      case 'end':
      case 'credit':
      case 'stop':
      case 'release':
      case 'hold':
        try {
          return this.handles.onMessage(m);
        } catch (error) {
          return this.protocolFailure(error instanceof ProtocolError ? error : new ProtocolError(String(error), { cause: error }));
        }
      case 'error': {
        const c = this.pending.get(m.id);
        if (c) {
          this.giveUp(c, m.error.code === GOING_AWAY ? new GoingAwayError(`${this.address} is going away: ${m.error.message}`) : remoteError(m.error), false);
        }
        return this.closeIfDrained();
      }
      case 'cancel':
        return this.serving.cancel(m.id);
      case 'call':
        return void this.serving.serve(m);
      case 'oneway':
        return void this.serving.serveOneway(m);
      case 'close':
        if (m.code === GOING_AWAY) {
          this.draining = true;
          this.emit('draining');
          return this.closeIfDrained();
        }
        return this.fail(closeError(m, this.address));
    }
  }

  /** A connection the peer is leaving closes once its last pending call is answered. */
  private closeIfDrained(): void {
    if (this.draining && this.pending.size === 0 && this.serving.size === 0 && !this.failure) {
      this.fail(new RpcConnectionError(`connection to ${this.address} closed: the peer went away`));
    }
  }

  /** @internal Tells the peer why (CLOSE), then fails the connection (HandshakeLink). */
  protocolFailure(error: ProtocolError | AuthenticationError): void {
    try {
      this.send({ kind: 'close', code: error.code, message: error.message });
    } catch {
      // the CLOSE frame is a courtesy
    }
    this.writer.flush();
    this.socket.end();
    this.fail(error);
    // Give the CLOSE frame a moment to leave, but never keep a broken peer's socket.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** @internal Fails the connection once (HandshakeLink): every pending call rejects, every call served here aborts. */
  fail(error: HerdError): void {
    if (this.failure) return;
    this.failure = error;
    this.pending.stop();
    const lost = error instanceof RpcConnectionError ? error : new RpcConnectionError(error.message, { cause: error });
    for (const c of [...this.pending.values()]) this.giveUp(c, lost, false);
    this.serving.abortAll(new RpcConnectionError(`the caller's connection ${this.address} was lost`, { cause: error }), true);
    this.handles.fail(lost);
    if (!(error instanceof ProtocolError || error instanceof AuthenticationError)) {
      // What was sent before the failure (a RELEASE, a reply) still leaves, as it would have unbatched.
      this.writer.flush();
      this.socket.destroy();
    }
    this.emit('closed', error);
  }
}

export { splitAddress, toWireError };
