import {
  AuthFailedError,
  ClientClosedError,
  ConnectionLossError,
  HerdError,
  MarshallingError,
  OperationTimeoutError,
  RequestTimeoutError,
  SessionExpiredError,
  errorFromCode,
} from '../errors.js';
import { OpCode, Xid } from '../jute/op-codes.js';
import { AuthPacketCodec } from '../jute/ops/auth.js';
import { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import { ConnectRequestCodec, ConnectResponseCodec, type ConnectResponse } from '../jute/records/connect.js';
import { ReplyHeaderCodec, RequestHeaderCodec, type ReplyHeader } from '../jute/records/headers.js';
import { WatcherEventCodec, type WatcherEvent } from '../jute/records/watcher-event.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Clock } from '../base/clock.js';
import { Connection } from './connection.js';
import type { HostPort } from './connection-string.js';
import { Heartbeat } from './heartbeat.js';
import { HostList } from './host-list.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';
import { Queue } from './queue.js';
import { RwServerSearch } from './rw-server-search.js';
import type { ClientTlsOptions } from './options.js';
import { isLegalTransition, type ClientState, type StateChange } from './state.js';

/** Everything the session needs to know, defaults already applied. */
export interface SessionOptions {
  hosts: readonly HostPort[];
  sessionTimeout: number;
  connectTimeout: number;
  requestTimeout: number;
  readOnly: boolean;
  auth: readonly { scheme: string; auth: Buffer }[];
  reconnectOnExpiry: boolean;
  /** Declare the session lost after this long without a server (ms); undefined: the negotiated timeout; 0: never. */
  sessionLostTimeout: number | undefined;
  maxFrameSize: number;
  tls: ClientTlsOptions | undefined;
  backoff: BackoffOptions;
  shuffle: boolean;
  clock: Clock;
}

/** What the session tells its owner (the {@link Client}). */
export interface SessionHooks {
  /** A state transition happened; called synchronously, after the state changed. */
  stateChanged(change: StateChange): void;
  /** A watch notification arrived (server paths). Must not throw. */
  notification(event: WatcherEvent): void;
  /**
   * The requests that re-register the client's watches after a reconnect
   * (setWatches or setWatches2), built with the last zxid seen. They are
   * sent right after the auth packets, before any other request.
   */
  restoreWatches(relativeZxid: bigint): PendingRequest[];
}

interface Waiter {
  resolve(): void;
  reject(error: HerdError): void;
}

/** Credentials kept for the session's life, re-sent after every reconnect. */
interface AuthEntry {
  readonly scheme: string;
  readonly auth: Buffer;
  /** addAuth calls waiting for the server to accept these credentials. */
  waiters: Waiter[];
}

/** An auth packet written to the current connection, answered with xid -4 in the order sent. */
type AuthInFlight =
  | { readonly kind: 'entry'; readonly entry: AuthEntry; readonly startup: boolean }
  | { readonly kind: 'raw'; readonly request: PendingRequest };

const EMPTY_PASSWORD = Buffer.alloc(16);
const MAX_XID = 0x7fffffff;

/**
 * One ZooKeeper session and the connections that carry it: the state
 * machine, connection attempts and failover, the handshake, the request
 * pipeline and the heartbeat.
 *
 * At most one connection exists at any time; a new one is opened only
 * after the previous one was destroyed. Requests issued while no connection
 * is ready wait in a queue (bounded by the request timeout) and are written
 * after the next handshake; requests written to a connection that dies fail
 * with ConnectionLossError, since they may have been applied.
 */
export class Session {
  private stateValue: ClientState = 'idle';
  private sessionIdValue = 0n;
  private passwordValue: Buffer = EMPTY_PASSWORD;
  private negotiatedTimeoutValue = 0;
  private lastZxidValue = 0n;
  private readOnlyServer = false;
  /**
   * False while every server seen was read-only. A read-only server's
   * session is local to it, so until a read-write server has been seen each
   * handshake asks for a new session, as ZooKeeper's client does.
   */
  private seenRwServer = false;
  /** Where the next attempt goes, ahead of the host list: the read-write server just found. */
  private preferredHost: HostPort | undefined;
  private readonly rwSearch: RwServerSearch | undefined;

  private readonly hosts: HostList;
  private readonly backoff: Backoff;
  private readonly heartbeat: Heartbeat;
  private readonly clock: Clock;

  /** The one connection (being established, or ready). */
  private conn: Connection | null = null;
  /** True once the current connection completed its handshake. */
  private ready = false;
  /** Auth replies still awaited before the handshake counts as done. */
  private startupAuths = 0;
  private attemptTimer: unknown = undefined;
  private reconnectTimer: unknown = undefined;
  private sweepTimer: unknown = undefined;
  private lostTimer: unknown = undefined;
  /** The lost deadline passed while a server was in the middle of a handshake: its verdict decides. */
  private lostDue = false;
  /** True from the TCP (or TLS) connect of an attempt until its handshake completes or fails. */
  private handshaking = false;
  /** True once any session was established: a connect timeout then no longer closes the client. */
  private everEstablished = false;

  private xid = 0;
  private readonly pending = new PendingRequests();
  private readonly waiting = new Queue<PendingRequest>();
  private readonly auths = new Queue<AuthInFlight>();
  private readonly pings = new Queue<PendingRequest | null>();
  private readonly authInfo: AuthEntry[] = [];
  private connectWaiters: Waiter[] = [];
  private closing = false;
  private closePromise: Promise<void> | undefined;

  constructor(
    private readonly options: SessionOptions,
    private readonly hooks: SessionHooks,
  ) {
    this.clock = options.clock;
    this.hosts = new HostList(options.hosts, options.shuffle ? Math.random : () => 0.999999);
    this.backoff = new Backoff(this.hosts.size, options.backoff);
    this.heartbeat = new Heartbeat(
      {
        sendPing: () => this.sendPing(null),
        readTimedOut: (ms) =>
          this.connectionLost(new ConnectionLossError(`no reply from ${this.conn?.address ?? 'server'} for ${Math.round(ms)} ms`)),
      },
      this.clock,
    );
    if (options.readOnly) {
      this.rwSearch = new RwServerSearch(options.hosts, this.clock, options.tls, (host) => this.rwServerFound(host));
    }
    for (const a of options.auth) this.authInfo.push({ scheme: a.scheme, auth: a.auth, waiters: [] });
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get sessionId(): bigint {
    return this.sessionIdValue;
  }
  get sessionPassword(): Buffer {
    return Buffer.from(this.passwordValue);
  }
  get negotiatedTimeout(): number {
    return this.negotiatedTimeoutValue;
  }
  get lastZxid(): bigint {
    return this.lastZxidValue;
  }
  /** The server the current connection goes to (`host:port`), if any. */
  get currentServer(): string | undefined {
    return this.conn?.address;
  }

  // ---- state machine ------------------------------------------------------

  /**
   * Moves to `to` and reports it. An illegal move (see state.ts) is refused:
   * nothing changes and false is returned.
   */
  private transition(to: ClientState, reason?: HerdError): boolean {
    const from = this.stateValue;
    if (from === to || !isLegalTransition(from, to)) return false;
    this.stateValue = to;
    const change: StateChange =
      reason === undefined ? { from, to, sessionId: this.sessionIdValue } : { from, to, sessionId: this.sessionIdValue, reason };
    this.hooks.stateChanged(change);
    return true;
  }

  // ---- connect / close -----------------------------------------------------

  /**
   * Resolves once a session is established (state `connected` or
   * `connectedReadOnly`). From `idle`, `expired` or `authFailed` it starts a
   * new session. After `connectTimeout` without one it rejects with
   * OperationTimeoutError and, if no session was ever established, closes.
   */
  connect(): Promise<void> {
    const state = this.stateValue;
    if (state === 'connected' || state === 'connectedReadOnly') return Promise.resolve();
    if (state === 'closed' || this.closing) return Promise.reject(closedError());
    if (state === 'idle' || state === 'expired' || state === 'authFailed') this.startSession();
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.connectWaiters = this.connectWaiters.filter((w) => w !== waiter);
        const error = new OperationTimeoutError(`no session within ${this.options.connectTimeout} ms`, { op: 'connect' });
        if (this.stateValue === 'connecting' && !this.everEstablished) void this.close();
        reject(error);
      }, this.options.connectTimeout);
      const waiter: Waiter = {
        resolve: () => {
          this.clock.clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          this.clock.clearTimeout(timer);
          reject(error);
        },
      };
      this.connectWaiters.push(waiter);
    });
  }

  /** Starts establishing a new session (no previous one to resume). */
  private startSession(): void {
    this.seenRwServer = false;
    this.sessionIdValue = 0n;
    this.passwordValue = EMPTY_PASSWORD;
    this.negotiatedTimeoutValue = 0;
    this.lastZxidValue = 0n;
    this.transition('connecting');
    this.backoff.reset();
    this.startAttempt();
  }

  /**
   * Ends the session: sends closeSession and waits for its reply (requests
   * sent before are answered first), then closes the connection. Without a
   * connection it just stops reconnecting (the session then expires on the
   * server). Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.closing = true;
    this.clearTimer('reconnectTimer');
    this.closePromise = new Promise<void>((resolve) => {
      const finish = (): void => {
        this.shutdown();
        resolve();
      };
      if (!this.ready || this.conn === null) {
        finish();
        return;
      }
      const safety = this.clock.setTimeout(finish, Math.max(1, Math.floor((this.negotiatedTimeoutValue * 2) / 3)));
      const done = (): void => {
        this.clock.clearTimeout(safety);
        finish();
      };
      this.write({
        type: OpCode.closeSession,
        opName: 'closeSession',
        path: undefined,
        encode: () => {},
        response: undefined,
        complete: done,
        fail: done,
        issuedAt: this.clock.now(),
        xid: 0,
      });
    });
    return this.closePromise;
  }

  private shutdown(): void {
    this.dropConnection();
    this.heartbeat.destroy();
    this.clearTimer('reconnectTimer');
    this.clearTimer('sweepTimer');
    this.clearTimer('lostTimer');
    this.failEverything(() => closedError());
    this.transition('closed');
  }

  // ---- requests ------------------------------------------------------------

  /**
   * Issues a request: written at once when a connection is ready, else
   * queued until the next handshake. Fails immediately when the session is
   * expired, failed authentication, or the client is closed.
   */
  submit(request: PendingRequest): void {
    const refusal = this.refusal(request);
    if (refusal !== undefined) {
      request.fail(refusal);
      return;
    }
    // A request is submitted as it is issued: its issue time is the send time.
    if (this.ready) this.write(request, request.issuedAt);
    else this.waiting.push(request);
    if (this.sweepTimer === undefined) this.armSweep();
  }

  /** Why a request cannot be issued now, if it cannot. */
  private refusal(request: PendingRequest): HerdError | undefined {
    const state = this.stateValue;
    // Checked on every request: no allocation unless it is refused.
    if (!this.closing && state !== 'closed' && state !== 'expired' && state !== 'authFailed') return undefined;
    const ctx = context(request);
    if (this.closing || state === 'closed') return closedError(ctx);
    if (state === 'expired') return new SessionExpiredError(undefined, ctx);
    return new AuthFailedError(undefined, ctx);
  }

  /**
   * Adds credentials to the session (kept and re-sent after every
   * reconnect). Resolves when the server accepts them; a refusal moves the
   * client to `authFailed`.
   */
  addAuth(scheme: string, auth: Buffer): Promise<void> {
    const refusal = this.refusal({ opName: 'auth', path: undefined } as PendingRequest);
    if (refusal !== undefined) return Promise.reject(refusal);
    let entry = this.authInfo.find((a) => a.scheme === scheme && a.auth.equals(auth));
    const known = entry !== undefined;
    if (entry === undefined) {
      entry = { scheme, auth, waiters: [] };
      this.authInfo.push(entry);
    }
    const e = entry;
    return new Promise<void>((resolve, reject) => {
      e.waiters.push({ resolve, reject });
      // Not ready: the next handshake sends every entry. Known and ready: it was accepted already.
      if (this.ready) {
        if (known && !this.isInFlight(e)) this.settleAuth(e);
        else if (!known) this.sendAuth(e, false);
      }
    });
  }

  private isInFlight(entry: AuthEntry): boolean {
    for (const a of this.auths) if (a.kind === 'entry' && a.entry === entry) return true;
    return false;
  }

  private settleAuth(entry: AuthEntry, error?: HerdError): void {
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const w of waiters) if (error === undefined) w.resolve();
    else w.reject(error);
  }

  private write(request: PendingRequest, now?: number): void {
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
      request.fail(new MarshallingError(`cannot encode request: ${why}`, context(request)));
      return;
    }
    this.heartbeat.sent(now);
    if (type === OpCode.ping) this.pings.push(request);
    else if (type === OpCode.auth) this.auths.push({ kind: 'raw', request });
    else this.pending.push(request);
  }

  private sendPing(request: PendingRequest | null): void {
    const conn = this.conn;
    if (!this.ready || conn === null) return;
    conn.send((w) => RequestHeaderCodec.write(w, { xid: Xid.ping, type: OpCode.ping }));
    this.pings.push(request);
  }

  private sendAuth(entry: AuthEntry, startup: boolean): void {
    this.conn!.send((w) => {
      RequestHeaderCodec.write(w, { xid: Xid.auth, type: OpCode.auth });
      AuthPacketCodec.write(w, { type: 0, scheme: entry.scheme, auth: entry.auth });
    });
    this.heartbeat.sent();
    this.auths.push({ kind: 'entry', entry, startup });
    if (startup) this.startupAuths++;
  }

  // ---- request deadlines ----------------------------------------------------

  /** Arms the one deadline timer for the oldest waiting or in-flight request. */
  private armSweep(): void {
    const timeout = this.options.requestTimeout;
    if (timeout <= 0 || this.sweepTimer !== undefined) return;
    const a = this.waiting.peek();
    const b = this.pending.peek();
    if (a === undefined && b === undefined) return;
    const oldest = Math.min(a?.issuedAt ?? Infinity, b?.issuedAt ?? Infinity);
    const delay = Math.max(1, Math.ceil(oldest + timeout - this.clock.now()));
    this.sweepTimer = this.clock.setTimeout(this.sweep, delay);
  }

  private readonly sweep = (): void => {
    this.sweepTimer = undefined;
    const timeout = this.options.requestTimeout;
    const now = this.clock.now();
    for (let head = this.waiting.peek(); head !== undefined && now - head.issuedAt >= timeout; head = this.waiting.peek()) {
      this.waiting.shift();
      head.fail(new ConnectionLossError(`not sent: no connection within the request timeout (${timeout} ms)`, context(head)));
    }
    const head = this.pending.peek();
    if (head !== undefined && now - head.issuedAt >= timeout) {
      this.pending.take(head.xid);
      head.fail(new RequestTimeoutError(`no reply within the request timeout (${timeout} ms)`, context(head)));
      // Replies are ordered: once one is missing, the connection cannot be trusted.
      this.connectionLost(new ConnectionLossError(`request ${head.opName} timed out after ${timeout} ms`));
    }
    this.armSweep();
  };

  // ---- connection attempts ---------------------------------------------------

  private startAttempt(): void {
    this.reconnectTimer = undefined;
    if (this.closing || this.conn !== null) return;
    const host = this.preferredHost ?? this.hosts.next();
    this.preferredHost = undefined;
    const conn: Connection = new Connection(
      this.options.tls === undefined
        ? { host: host.host, port: host.port, maxFrameSize: this.options.maxFrameSize }
        : { host: host.host, port: host.port, maxFrameSize: this.options.maxFrameSize, tls: this.options.tls },
      {
        onConnect: () => this.onSocketConnect(conn),
        onFrame: (frame) => this.onFrame(conn, frame),
        onClose: (error) => {
          if (this.conn === conn) this.connectionLost(error);
        },
      },
    );
    this.conn = conn;
    this.ready = false;
    const timeout = this.negotiatedTimeoutValue || this.options.sessionTimeout;
    const connectTimeout = Math.max(1, Math.floor(timeout / this.hosts.size));
    this.armAttemptTimer(conn, connectTimeout, 'TCP connect');
  }

  private armAttemptTimer(conn: Connection, ms: number, what: string): void {
    this.clearTimer('attemptTimer');
    this.attemptTimer = this.clock.setTimeout(() => {
      this.attemptTimer = undefined;
      if (this.conn === conn && !this.ready) {
        this.connectionLost(new ConnectionLossError(`${what} to ${conn.address} timed out after ${ms} ms`));
      }
    }, ms);
  }

  private onSocketConnect(conn: Connection): void {
    if (this.conn !== conn) return;
    const timeout = this.negotiatedTimeoutValue || this.options.sessionTimeout;
    this.armAttemptTimer(conn, Math.max(1, Math.floor((timeout * 2) / 3)), 'handshake');
    this.handshaking = true;
    const resume = this.seenRwServer || !this.options.readOnly;
    conn.send((w) =>
      ConnectRequestCodec.write(w, {
        protocolVersion: 0,
        lastZxidSeen: this.lastZxidValue,
        timeOut: this.options.sessionTimeout,
        sessionId: resume ? this.sessionIdValue : 0n,
        passwd: resume ? this.passwordValue : EMPTY_PASSWORD,
        readOnly: this.options.readOnly,
      }),
    );
  }

  /** Handles one frame of the current connection. Throwing = protocol error of that connection. */
  private onFrame(conn: Connection, frame: Buffer): void {
    if (this.conn !== conn) return;
    if (!this.ready) {
      this.onConnectResponse(ConnectResponseCodec.read(new JuteReader(frame)));
      return;
    }
    this.heartbeat.received();
    const r = new JuteReader(frame);
    const header = ReplyHeaderCodec.read(r);
    switch (header.xid) {
      case Xid.notification:
        this.hooks.notification(WatcherEventCodec.read(r));
        return;
      case Xid.ping: {
        const waiter = this.pings.shift();
        if (waiter) waiter.complete(header, undefined);
        return;
      }
      case Xid.auth:
        this.onAuthReply(header);
        return;
    }
    const request = this.pending.take(header.xid);
    if (request === undefined) {
      const head = this.pending.peek();
      throw new ConnectionLossError(
        head === undefined
          ? `unexpected reply with xid ${header.xid}: no request in flight`
          : `reply xid ${header.xid} out of order: expected ${head.xid}`,
      );
    }
    if (header.zxid > 0n) this.lastZxidValue = header.zxid;
    let body: unknown;
    if (header.err === 0 && request.response !== undefined) {
      try {
        body = request.response.read(r);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        const error = new ConnectionLossError(`malformed ${request.opName} reply: ${why}`, context(request));
        request.fail(error);
        throw error;
      }
    }
    request.complete(header, body);
  }

  private onConnectResponse(response: ConnectResponse): void {
    const conn = this.conn!;
    this.clearTimer('attemptTimer');
    if (response.timeOut <= 0) {
      this.sessionExpired(
        new SessionExpiredError(
          this.sessionIdValue === 0n
            ? `${conn.address} refused to create a session`
            : `session 0x${this.sessionIdValue.toString(16)} expired`,
        ),
      );
      return;
    }
    this.backoff.reset();
    this.sessionIdValue = response.sessionId;
    this.passwordValue = Buffer.from(response.passwd);
    this.negotiatedTimeoutValue = response.timeOut;
    this.readOnlyServer = response.readOnly === true;
    if (!this.readOnlyServer) this.seenRwServer = true;
    this.ready = true;
    this.heartbeat.start(response.timeOut);
    // Prime the connection: credentials, then watches, then the queue.
    this.startupAuths = 0;
    for (const entry of this.authInfo) this.sendAuth(entry, true);
    for (const request of this.hooks.restoreWatches(this.lastZxidValue)) this.write(request);
    for (let request = this.waiting.shift(); request !== undefined; request = this.waiting.shift()) {
      if (!this.ready || this.conn !== conn) {
        this.waiting.push(request);
        break;
      }
      this.write(request);
    }
    if (this.startupAuths === 0) this.established();
  }

  /** The handshake and its startup auth are complete. */
  private established(): void {
    this.everEstablished = true;
    this.clearTimer('lostTimer');
    this.lostDue = false;
    if (this.readOnlyServer) this.rwSearch?.start(this.conn?.address);
    this.transition(this.readOnlyServer ? 'connectedReadOnly' : 'connected');
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private onAuthReply(header: ReplyHeader): void {
    const item = this.auths.shift();
    if (item === undefined) throw new ConnectionLossError('unexpected auth reply');
    if (item.kind === 'raw') item.request.complete(header, undefined);
    if (header.err !== 0) {
      if (item.kind === 'entry') {
        // Refused credentials are forgotten, so a new session does not send them again.
        const at = this.authInfo.indexOf(item.entry);
        if (at >= 0) this.authInfo.splice(at, 1);
        this.settleAuth(item.entry, errorFromCode(header.err, { op: 'auth' }));
      }
      const error = errorFromCode(header.err, { op: 'auth' });
      this.authFailed(error instanceof AuthFailedError ? error : new AuthFailedError(`auth failed: ${error.message}`, { op: 'auth' }));
      return;
    }
    if (item.kind === 'entry') {
      this.settleAuth(item.entry);
      if (item.startup && --this.startupAuths === 0) this.established();
    }
  }

  // ---- failures ---------------------------------------------------------------

  /**
   * The current connection is gone (any cause). In-flight requests fail
   * with ConnectionLossError; waiting ones stay queued; the next host is
   * tried after the backoff delay.
   */
  private connectionLost(error: HerdError): void {
    if (this.conn === null) return;
    this.dropConnection();
    this.pending.failAll((r) => new ConnectionLossError(error.message, context(r)));
    this.failSideQueues(() => new ConnectionLossError(error.message));
    if (this.closing) return;
    if (this.stateValue === 'connected' || this.stateValue === 'connectedReadOnly') {
      this.transition('disconnected', error);
      this.armLostTimer();
    }
    const delay = this.backoff.next();
    this.clearTimer('reconnectTimer');
    this.reconnectTimer = this.clock.setTimeout(() => this.startAttempt(), delay);
    if (this.lostDue && this.stateValue === 'disconnected') this.declareLost();
  }

  /**
   * Without a server for as long as the session timeout, the ensemble has
   * almost surely expired the session (its clock ran from the last packet it
   * got, which is earlier): like Curator, declare it lost here rather than
   * stay suspended until some server answers. Recipes then stop trusting
   * their ephemerals and locks on time, instead of while another process
   * already holds them.
   */
  private armLostTimer(): void {
    const configured = this.options.sessionLostTimeout;
    const ms = configured ?? this.negotiatedTimeoutValue;
    if (ms <= 0 || this.lostTimer !== undefined) return;
    this.lostTimer = this.clock.setTimeout(() => {
      this.lostTimer = undefined;
      if (this.stateValue !== 'disconnected') return;
      // A server is answering right now: let it say whether the session still lives.
      if (this.handshaking) this.lostDue = true;
      else this.declareLost();
    }, ms);
  }

  private declareLost(): void {
    this.lostDue = false;
    const ms = this.options.sessionLostTimeout ?? this.negotiatedTimeoutValue;
    const id = this.sessionIdValue.toString(16);
    this.sessionExpired(new SessionExpiredError(`session 0x${id} presumed expired: no server reachable for ${ms} ms`));
  }

  /** The read-write search found a server: move the session there (a short `disconnected`). */
  private rwServerFound(host: HostPort): void {
    if (this.stateValue !== 'connectedReadOnly' || this.closing) return;
    this.preferredHost = host;
    const where = host.host.includes(':') ? `[${host.host}]:${host.port}` : `${host.host}:${host.port}`;
    this.connectionLost(new ConnectionLossError(`read-write server found at ${where}: moving there`));
  }

  private sessionExpired(error: HerdError): void {
    this.endSession(error, 'expired');
    if (this.options.reconnectOnExpiry && !this.closing) {
      this.reconnectTimer = this.clock.setTimeout(() => {
        this.reconnectTimer = undefined;
        // No connect timeout here: the new session is sought for as long as it takes.
        if (this.stateValue === 'expired') this.startSession();
      }, 0);
    }
  }

  private authFailed(error: HerdError): void {
    this.endSession(error, 'authFailed');
  }

  /** The session cannot go on: fail everything and stop reconnecting. */
  private endSession(error: HerdError, state: 'expired' | 'authFailed'): void {
    this.dropConnection();
    this.clearTimer('reconnectTimer');
    this.clearTimer('lostTimer');
    this.lostDue = false;
    this.failEverything((ctx) =>
      state === 'expired' ? new SessionExpiredError(error.message, ctx) : new AuthFailedError(error.message, ctx),
    );
    this.sessionIdValue = 0n;
    this.passwordValue = EMPTY_PASSWORD;
    this.negotiatedTimeoutValue = 0;
    this.transition(state, error);
  }

  private dropConnection(): void {
    this.rwSearch?.stop();
    this.clearTimer('attemptTimer');
    this.heartbeat.cancel();
    const conn = this.conn;
    this.conn = null;
    this.ready = false;
    this.handshaking = false;
    this.startupAuths = 0;
    conn?.destroy();
  }

  private failSideQueues(error: () => HerdError): void {
    for (const ping of this.pings.drain()) ping?.fail(error());
    for (const item of this.auths.drain()) if (item.kind === 'raw') item.request.fail(error());
  }

  private failEverything(error: (ctx: { op?: string; path?: string }) => HerdError): void {
    this.pending.failAll((r) => error(context(r)));
    for (const r of this.waiting.drain()) r.fail(error(context(r)));
    this.failSideQueues(() => error({}));
    for (const entry of this.authInfo) this.settleAuth(entry, error({ op: 'auth' }));
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.reject(error({ op: 'connect' }));
  }

  private clearTimer(name: 'attemptTimer' | 'reconnectTimer' | 'sweepTimer' | 'lostTimer'): void {
    const t = this[name];
    if (t !== undefined) {
      this.clock.clearTimeout(t);
      this[name] = undefined;
    }
  }
}

/** A request's frame: its RequestHeader (xid already assigned), then its body. Shared, not a closure per request. */
function encodeRequest(w: JuteWriter, request: PendingRequest): void {
  w.int(request.xid).int(request.type);
  request.encode(w);
}

function context(request: Pick<PendingRequest, 'opName' | 'path'>): { op: string; path?: string } {
  return request.path === undefined ? { op: request.opName } : { op: request.opName, path: request.path };
}

function closedError(ctx: { op?: string; path?: string } = {}): HerdError {
  const where = ctx.op === undefined ? '' : ctx.path === undefined ? `${ctx.op}: ` : `${ctx.op} ${ctx.path}: `;
  return new ClientClosedError(`${where}the client is closed`, ctx);
}
