import { ConnectionLossError, type HerdError } from '../errors.js';
import type { Clock } from '../base/clock.js';
import { JuteReader } from '../jute/reader.js';
import { ConnectRequestCodec, ConnectResponseCodec, type ConnectResponse } from '../jute/records/connect.js';
import { Connection } from './connection.js';
import type { HostPort } from './connection-string.js';
import type { ClientTlsOptions } from './options.js';
import { Timer } from './timer.js';

const EMPTY_PASSWORD = Buffer.alloc(16);

/**
 * Who the session is on the ensemble: what a handshake sends to resume it
 * and what the server granted. Owned by the session, updated by the
 * handshake (and the last zxid by the request pipeline).
 */
export class SessionIdentity {
  id = 0n;
  password: Buffer = EMPTY_PASSWORD;
  /** The negotiated session timeout in ms (0 before a handshake). */
  timeout = 0;
  /** The zxid of the last reply received. */
  lastZxid = 0n;
  /**
   * False while every server seen was read-only. A read-only server's
   * session is local to it, so until a read-write server has been seen each
   * handshake asks for a new session, as ZooKeeper's client does.
   */
  seenRwServer = false;

  /** Forgets everything, for a new session. */
  reset(): void {
    this.end();
    this.lastZxid = 0n;
    this.seenRwServer = false;
  }

  /** The session ended: nothing is left to resume (the last zxid stays, as ZooKeeper's client keeps it). */
  end(): void {
    this.id = 0n;
    this.password = EMPTY_PASSWORD;
    this.timeout = 0;
  }

  /** A server granted (or resumed) the session. */
  granted(response: ConnectResponse): void {
    this.id = response.sessionId;
    this.password = Buffer.from(response.passwd);
    this.timeout = response.timeOut;
    if (response.readOnly !== true) this.seenRwServer = true;
  }
}

/** What the attempt tells the session. Each call names the attempt, so a stale one can be ignored. */
export interface AttemptOwner {
  /** The server answered the handshake (a timeOut of 0 or less: the session is gone). */
  handshakeAnswered(attempt: ConnectionAttempt, response: ConnectResponse): void;
  /** A frame after the handshake. Throwing = protocol error of the connection. */
  frame(attempt: ConnectionAttempt, frame: Buffer): void;
  /** The connection failed or a phase timed out. */
  failed(attempt: ConnectionAttempt, error: HerdError): void;
}

/** Where the attempt is. `handshaking` in the old session was every phase but `tcp`. */
type AttemptPhase =
  | { readonly name: 'tcp' }
  | { readonly name: 'handshake' }
  /** Handshake answered; the startup auth replies are awaited before the session counts as established. */
  | { readonly name: 'priming'; readonly readOnly: boolean; authsAwaited: number }
  | { readonly name: 'established'; readonly readOnly: boolean };

/** How to connect, defaults applied. */
export interface AttemptOptions {
  sessionTimeout: number;
  readOnly: boolean;
  maxFrameSize: number;
  tls: ClientTlsOptions | undefined;
  /** The TCP (or TLS) connect timeout in ms. */
  connectTimeout: number;
}

/**
 * One connection attempt to one server: the TCP (or TLS) connect, the
 * handshake (ConnectRequest / ConnectResponse) and the priming of the new
 * connection with the session's credentials. Each phase but the last has a
 * deadline (the attempt timer); the session decides what a failure means.
 */
export class ConnectionAttempt {
  readonly connection: Connection;
  private phase: AttemptPhase = { name: 'tcp' };
  private readonly timer: Timer;
  private timerWhat = 'TCP connect';
  private timerMs: number;

  constructor(
    host: HostPort,
    private readonly options: AttemptOptions,
    private readonly identity: SessionIdentity,
    clock: Clock,
    private readonly owner: AttemptOwner,
  ) {
    const where = { host: host.host, port: host.port, maxFrameSize: options.maxFrameSize };
    this.connection = new Connection(options.tls === undefined ? where : { ...where, tls: options.tls }, {
      onConnect: () => this.onConnect(),
      onFrame: (frame) => this.onFrame(frame),
      onClose: (error) => this.owner.failed(this, error),
    });
    this.timer = new Timer(clock, () => {
      if (this.phase.name === 'tcp' || this.phase.name === 'handshake') {
        this.owner.failed(this, new ConnectionLossError(`${this.timerWhat} to ${this.address} timed out after ${this.timerMs} ms`));
      }
    });
    this.timerMs = options.connectTimeout;
    this.timer.start(this.timerMs);
  }

  /** `host:port` of the server. */
  get address(): string {
    return this.connection.address;
  }

  /** True once the socket connected: a server is answering (its handshake verdict may be pending). */
  get pastConnect(): boolean {
    return this.phase.name !== 'tcp';
  }

  /** True once the handshake was answered and accepted. */
  get ready(): boolean {
    return this.phase.name === 'priming' || this.phase.name === 'established';
  }

  /** The server is read-only (meaningful once {@link ready}). */
  get readOnly(): boolean {
    return (this.phase.name === 'priming' || this.phase.name === 'established') && this.phase.readOnly;
  }

  /**
   * The session accepted the handshake and sent `authsAwaited` startup auth
   * packets. True when the connection is established at once (none sent).
   */
  accepted(response: ConnectResponse, authsAwaited: number): boolean {
    const readOnly = response.readOnly === true;
    this.phase = authsAwaited === 0 ? { name: 'established', readOnly } : { name: 'priming', readOnly, authsAwaited };
    return authsAwaited === 0;
  }

  /** A startup auth packet was accepted. True when it was the last one: the connection is established. */
  authAccepted(): boolean {
    const phase = this.phase;
    if (phase.name !== 'priming' || --phase.authsAwaited > 0) return false;
    this.phase = { name: 'established', readOnly: phase.readOnly };
    return true;
  }

  /** Closes the connection and cancels the attempt timer; no callback follows. */
  destroy(): void {
    this.timer.cancel();
    this.connection.destroy();
  }

  private onConnect(): void {
    const timeout = this.identity.timeout || this.options.sessionTimeout;
    this.timerWhat = 'handshake';
    this.timerMs = Math.max(1, Math.floor((timeout * 2) / 3));
    this.timer.start(this.timerMs);
    this.phase = { name: 'handshake' };
    const id = this.identity;
    const resume = id.seenRwServer || !this.options.readOnly;
    this.connection.send((w) =>
      ConnectRequestCodec.write(w, {
        protocolVersion: 0,
        lastZxidSeen: id.lastZxid,
        timeOut: this.options.sessionTimeout,
        sessionId: resume ? id.id : 0n,
        passwd: resume ? id.password : EMPTY_PASSWORD,
        readOnly: this.options.readOnly,
      }),
    );
  }

  private onFrame(frame: Buffer): void {
    if (this.ready) {
      this.owner.frame(this, frame);
      return;
    }
    const response = ConnectResponseCodec.read(new JuteReader(frame));
    this.timer.cancel();
    this.owner.handshakeAnswered(this, response);
  }
}
