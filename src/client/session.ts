import { AuthFailedError, ConnectionLossError, HerdError, SessionExpiredError, errorFromCode } from '../errors.js';
import type { Clock } from '../base/clock.js';
import { closeSession } from '../jute/ops/session.js';
import type { ConnectResponse } from '../jute/records/connect.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { WatcherEvent } from '../jute/records/watcher-event.js';
import { Backoff } from './backoff.js';
import { ConnectGate } from './connect-gate.js';
import { ConnectionAttempt, SessionIdentity, type AttemptOwner } from './connection-attempt.js';
import type { HostPort } from './connection-string.js';
import { Heartbeat } from './heartbeat.js';
import { HostList } from './host-list.js';
import type { SessionOptions } from './options.js';
import { rawRequest, type PendingRequest } from './pending-requests.js';
import { RequestPipeline, type AuthInFlight, type ErrorFor } from './request-pipeline.js';
import { RwServerSearch } from './rw-server-search.js';
import { SessionAuth } from './session-auth.js';
import { SessionLostTimer } from './session-lost.js';
import { closedError, refusalOf } from './session-refusal.js';
import { isLegalTransition, type ClientState, type StateChange } from './state.js';
import { Timer } from './timer.js';

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

/**
 * One ZooKeeper session: its lifecycle (the {@link ClientState} machine,
 * moved only by {@link transition}), failover between connection attempts,
 * and the reconnect and session-lost timers. The work is done by the
 * objects it owns: each {@link ConnectionAttempt} (connect, handshake,
 * priming), the {@link RequestPipeline} (xids, queues, deadlines, replies),
 * {@link SessionAuth} (credentials), the {@link Heartbeat} and the
 * {@link ConnectGate} (connect() calls).
 *
 * At most one attempt exists at any time; a new one is opened only after
 * the previous one was destroyed. Requests issued while no connection is
 * ready wait in the pipeline (bounded by the request timeout) and are
 * written after the next handshake; requests written to a connection that
 * dies fail with ConnectionLossError, since they may have been applied.
 */
export class Session {
  private stateValue: ClientState = 'idle';
  /** Set by close(): its promise. The state stays as it is until the session is shut down. */
  private closing: Promise<void> | undefined;
  private readonly identity = new SessionIdentity();
  /** Where the next attempt goes, ahead of the host list: the read-write server just found. */
  private preferredHost: HostPort | undefined;
  private readonly rwSearch: RwServerSearch | undefined;

  private readonly hosts: HostList;
  private readonly backoff: Backoff;
  private readonly heartbeat: Heartbeat;
  private readonly clock: Clock;
  private readonly pipeline: RequestPipeline;
  private readonly auth: SessionAuth;
  private readonly gate: ConnectGate;
  private readonly lost: SessionLostTimer;
  /** The next attempt after a backoff delay, or a new session after an expiry. */
  private readonly reconnect: Timer;

  /** The one attempt (connecting, handshaking, or carrying the session). */
  private attempt: ConnectionAttempt | null = null;
  private readonly attemptOwner: AttemptOwner = {
    handshakeAnswered: (attempt, response) => {
      if (this.attempt === attempt) this.handshakeAnswered(attempt, response);
    },
    frame: (attempt, frame) => {
      if (this.attempt === attempt) this.pipeline.receive(frame);
    },
    failed: (attempt, error) => {
      if (this.attempt === attempt) this.connectionLost(error);
    },
  };

  constructor(
    private readonly options: SessionOptions,
    private readonly hooks: SessionHooks,
  ) {
    this.clock = options.clock;
    this.hosts = new HostList(options.hosts, options.shuffle ? Math.random : () => 0.999999);
    this.backoff = new Backoff(this.hosts.size, options.backoff);
    this.heartbeat = new Heartbeat(
      {
        sendPing: () => this.pipeline.sendPing(),
        readTimedOut: (ms) =>
          this.connectionLost(new ConnectionLossError(`no reply from ${this.attempt?.address ?? 'server'} for ${Math.round(ms)} ms`)),
      },
      this.clock,
    );
    this.pipeline = new RequestPipeline(options.requestTimeout, this.clock, this.heartbeat, this.identity, {
      notification: (event) => this.hooks.notification(event),
      authReplied: (item, header) => this.authReplied(item, header),
      stalled: (error) => this.connectionLost(error),
    });
    this.auth = new SessionAuth(options.auth);
    this.gate = new ConnectGate(this.clock);
    this.lost = new SessionLostTimer(this.clock, () => this.lostDeadlinePassed());
    this.reconnect = new Timer(this.clock, () => this.reconnectDue());
    if (options.readOnly) {
      this.rwSearch = new RwServerSearch(options.hosts, this.clock, options.tls, (host) => this.rwServerFound(host));
    }
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get sessionId(): bigint {
    return this.identity.id;
  }
  get sessionPassword(): Buffer {
    return Buffer.from(this.identity.password);
  }
  get negotiatedTimeout(): number {
    return this.identity.timeout;
  }
  get lastZxid(): bigint {
    return this.identity.lastZxid;
  }
  /** The server the current connection goes to (`host:port`), if any. */
  get currentServer(): string | undefined {
    return this.attempt?.address;
  }

  // ---- lifecycle ------------------------------------------------------------

  /**
   * The one way the state changes: moves to `to` and reports it. An illegal
   * move (see state.ts) is refused: nothing changes and false is returned.
   */
  private transition(to: ClientState, reason?: HerdError): boolean {
    const from = this.stateValue;
    if (from === to || !isLegalTransition(from, to)) return false;
    this.stateValue = to;
    const sessionId = this.identity.id;
    const change: StateChange = reason === undefined ? { from, to, sessionId } : { from, to, sessionId, reason };
    this.hooks.stateChanged(change);
    return true;
  }

  /**
   * Resolves once a session is established (state `connected` or
   * `connectedReadOnly`). From `idle`, `expired` or `authFailed` it starts a
   * new session. After `connectTimeout` without one it rejects with
   * OperationTimeoutError and, if no session was ever established, closes.
   */
  connect(): Promise<void> {
    const state = this.stateValue;
    if (state === 'connected' || state === 'connectedReadOnly') return Promise.resolve();
    if (state === 'closed' || this.closing !== undefined) return Promise.reject(closedError());
    if (state === 'idle' || state === 'expired' || state === 'authFailed') this.startSession();
    return this.gate.wait(this.options.connectTimeout, () => {
      if (this.stateValue === 'connecting' && !this.gate.everEstablished) void this.close();
    });
  }

  /** Starts establishing a new session (no previous one to resume). */
  private startSession(): void {
    this.identity.reset();
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
    if (this.closing !== undefined) return this.closing;
    let resolve!: () => void;
    this.closing = new Promise<void>((r) => (resolve = r));
    this.reconnect.cancel();
    const finish = (): void => {
      this.shutdown();
      resolve();
    };
    if (!this.pipeline.ready) {
      finish();
      return this.closing;
    }
    const safety = new Timer(this.clock, finish);
    safety.start(Math.max(1, Math.floor((this.identity.timeout * 2) / 3)));
    const done = (): void => {
      safety.cancel();
      finish();
    };
    this.pipeline.write(rawRequest(closeSession, {}, this.clock.now(), { complete: done, fail: done }));
    return this.closing;
  }

  private shutdown(): void {
    this.dropConnection();
    this.heartbeat.destroy();
    this.reconnect.cancel();
    this.lost.cancel();
    this.failEverything(() => closedError());
    this.transition('closed');
  }

  // ---- requests -------------------------------------------------------------

  /**
   * Issues a request: written at once when a connection is ready, else
   * queued until the next handshake. Fails immediately when the session is
   * expired, failed authentication, or the client is closed.
   */
  submit(request: PendingRequest): void {
    const refusal = this.refusal(request);
    if (refusal !== undefined) request.fail(refusal);
    else this.pipeline.submit(request);
  }

  /** Why a request cannot be issued now, if it cannot (see {@link refusalOf}). */
  private refusal(request: Pick<PendingRequest, 'opName' | 'path'>): HerdError | undefined {
    return refusalOf(this.stateValue, this.closing !== undefined, request);
  }

  /**
   * Adds credentials to the session (kept and re-sent after every
   * reconnect). Resolves when the server accepts them; a refusal moves the
   * client to `authFailed`.
   */
  addAuth(scheme: string, auth: Buffer): Promise<void> {
    const refusal = this.refusal({ opName: 'auth', path: undefined });
    if (refusal !== undefined) return Promise.reject(refusal);
    const { entry, known } = this.auth.find(scheme, auth);
    return new Promise<void>((resolve, reject) => {
      entry.waiters.push({ resolve, reject });
      // Not ready: the next handshake sends every entry. Known and ready: it was accepted already.
      if (this.pipeline.ready) {
        if (known && !this.pipeline.authInFlight(entry)) this.auth.settle(entry);
        else if (!known) this.pipeline.sendAuth(entry, false);
      }
    });
  }

  private authReplied(item: AuthInFlight, header: ReplyHeader): void {
    if (header.err !== 0) {
      if (item.kind === 'entry') this.auth.refused(item.entry, errorFromCode(header.err, { op: 'auth' }));
      const error = errorFromCode(header.err, { op: 'auth' });
      this.authFailed(error instanceof AuthFailedError ? error : new AuthFailedError(`auth failed: ${error.message}`, { op: 'auth' }));
      return;
    }
    if (item.kind !== 'entry') return;
    this.auth.settle(item.entry);
    if (item.startup && this.attempt?.authAccepted() === true) this.established(this.attempt);
  }

  // ---- connection attempts --------------------------------------------------

  private startAttempt(): void {
    if (this.closing !== undefined || this.attempt !== null) return;
    const host = this.preferredHost ?? this.hosts.next();
    this.preferredHost = undefined;
    const timeout = this.identity.timeout || this.options.sessionTimeout;
    const o = this.options;
    this.attempt = new ConnectionAttempt(
      host,
      {
        sessionTimeout: o.sessionTimeout,
        readOnly: o.readOnly,
        maxFrameSize: o.maxFrameSize,
        tls: o.tls,
        connectTimeout: Math.max(1, Math.floor(timeout / this.hosts.size)),
      },
      this.identity,
      this.clock,
      this.attemptOwner,
    );
  }

  private reconnectDue(): void {
    // After an expiry (reconnectOnExpiry) a new session is sought, with no connect timeout; else the next host.
    if (this.stateValue === 'expired') this.startSession();
    else this.startAttempt();
  }

  private handshakeAnswered(attempt: ConnectionAttempt, response: ConnectResponse): void {
    if (response.timeOut <= 0) {
      const id = this.identity.id;
      this.sessionExpired(
        new SessionExpiredError(id === 0n ? `${attempt.address} refused to create a session` : `session 0x${id.toString(16)} expired`),
      );
      return;
    }
    this.backoff.reset();
    this.identity.granted(response);
    const established = attempt.accepted(response, this.auth.entries.length);
    this.pipeline.open(attempt.connection);
    this.heartbeat.start(response.timeOut);
    // Prime the connection: credentials, then watches, then the queue.
    for (const entry of this.auth.entries) this.pipeline.sendAuth(entry, true);
    for (const request of this.hooks.restoreWatches(this.identity.lastZxid)) this.pipeline.write(request);
    this.pipeline.flushWaiting();
    if (established) this.established(attempt);
  }

  /** The handshake and its startup auth are complete. */
  private established(attempt: ConnectionAttempt): void {
    this.lost.cancel();
    if (attempt.readOnly) this.rwSearch?.start(attempt.address);
    this.transition(attempt.readOnly ? 'connectedReadOnly' : 'connected');
    this.gate.open();
  }

  // ---- failures -------------------------------------------------------------

  /**
   * The current connection is gone (any cause). In-flight requests fail
   * with ConnectionLossError; waiting ones stay queued; the next host is
   * tried after the backoff delay.
   */
  private connectionLost(error: HerdError): void {
    if (this.attempt === null) return;
    this.dropConnection();
    this.pipeline.fail('written', (ctx) => new ConnectionLossError(error.message, ctx));
    if (this.closing !== undefined) return;
    if (this.stateValue === 'connected' || this.stateValue === 'connectedReadOnly') {
      this.transition('disconnected', error);
      this.lost.start(this.options.sessionLostTimeout ?? this.identity.timeout);
    }
    this.reconnect.start(this.backoff.next());
    if (this.lost.due && this.stateValue === 'disconnected') this.declareLost();
  }

  private lostDeadlinePassed(): void {
    if (this.stateValue !== 'disconnected') return;
    // A server is answering right now: let it say whether the session still lives.
    if (this.attempt?.pastConnect === true) this.lost.markDue();
    else this.declareLost();
  }

  private declareLost(): void {
    this.lost.cancel();
    const ms = this.options.sessionLostTimeout ?? this.identity.timeout;
    const id = this.identity.id.toString(16);
    this.sessionExpired(new SessionExpiredError(`session 0x${id} presumed expired: no server reachable for ${ms} ms`));
  }

  /** The read-write search found a server: move the session there (a short `disconnected`). */
  private rwServerFound(host: HostPort): void {
    if (this.stateValue !== 'connectedReadOnly' || this.closing !== undefined) return;
    this.preferredHost = host;
    const where = host.host.includes(':') ? `[${host.host}]:${host.port}` : `${host.host}:${host.port}`;
    this.connectionLost(new ConnectionLossError(`read-write server found at ${where}: moving there`));
  }

  private sessionExpired(error: HerdError): void {
    this.endSession(error, 'expired');
    if (this.options.reconnectOnExpiry && this.closing === undefined) this.reconnect.start(0);
  }

  private authFailed(error: HerdError): void {
    this.endSession(error, 'authFailed');
  }

  /** The session cannot go on: fail everything and stop reconnecting. */
  private endSession(error: HerdError, state: 'expired' | 'authFailed'): void {
    this.dropConnection();
    this.reconnect.cancel();
    this.lost.cancel();
    this.failEverything((ctx) =>
      state === 'expired' ? new SessionExpiredError(error.message, ctx) : new AuthFailedError(error.message, ctx),
    );
    this.identity.end();
    this.transition(state, error);
  }

  private dropConnection(): void {
    this.rwSearch?.stop();
    this.heartbeat.cancel();
    const attempt = this.attempt;
    this.attempt = null;
    this.pipeline.close();
    attempt?.destroy();
  }

  /** Everything waiting on the session fails: requests, addAuth calls, connect calls. */
  private failEverything(errorFor: ErrorFor): void {
    this.pipeline.fail('all', errorFor);
    this.auth.failAll(() => errorFor({ op: 'auth' }));
    this.gate.fail(errorFor({ op: 'connect' }));
  }
}
