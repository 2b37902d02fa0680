import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectRequest } from '../jute/records/connect.js';
import { mergeAuthIds, x509AuthIds, zooKeeperAuthOrder, type AuthOptions } from './acl.js';
import { normalizeClientIp } from './ip-address.js';
import { NEED_MORE_BYTES, ServerConnection, type ConnectionHost } from './connection.js';
import type { Logger } from './logger.js';
import type { ResolvedServerOptions } from './options.js';
import type { Intake } from './pipeline/intake.js';
import { createSecureListener, verifiedSubject } from './tls.js';

/** What admission hands a connection's frames and events to. */
export interface AdmissionDeps {
  readonly options: ResolvedServerOptions;
  readonly log: Logger;
  readonly authOptions: AuthOptions;
  /** The pipeline's first stage. */
  readonly intake: Intake;
  /** Four-letter words on the client port (four-letter-words.ts). */
  readonly fourLetterWord: ConnectionHost['fourLetterWord'];
  /** The last durable zxid (the txn log). */
  readonly durableZxid: () => bigint;
  /** A connection has closed (metrics, session service). */
  readonly onClosed: (conn: ServerConnection) => void;
}

/**
 * Admission and listening, the network side of the pipeline: the client port
 * and the TLS port, the per-IP connection limit (maxClientConnections), the
 * set of open connections, and backpressure across them: while the
 * connections together have maxOutstandingRequests requests unanswered
 * (each connection counts its own; this keeps their sum), connections stop
 * reading and resume, once per turn of the event loop, when replies bring
 * the sum down. Frames go from each connection (connection.ts) to the
 * pipeline's intake.
 */
export class Admission implements ConnectionHost {
  readonly connections = new Set<ServerConnection>();
  private listener: Server | null = null;
  private secureListener: Server | null = null;
  /** Open sockets per client IP, both ports, for maxClientConnections. */
  private readonly perIp = new Map<string, number>();
  /** The sum of the connections' unanswered counts. */
  private unansweredTotal = 0;
  /** Connections that stopped reading because of {@link unansweredTotal}. */
  private readonly throttledConns = new Set<ServerConnection>();
  private unthrottleScheduled = false;

  constructor(private readonly deps: AdmissionDeps) {}

  get log(): Logger {
    return this.deps.log;
  }

  get maxFrameSize(): number {
    return this.deps.options.maxFrameSize;
  }

  get sendBufferHighWaterMark(): number {
    return this.deps.options.sendBufferHighWaterMark;
  }

  get maxSendBuffer(): number {
    return this.deps.options.maxSendBuffer;
  }

  /** The client port (the one the system chose when the options said 0). */
  get port(): number {
    return (this.listener?.address() as AddressInfo | null)?.port ?? this.deps.options.port;
  }

  /** The TLS client port, or undefined when none is configured. */
  get securePort(): number | undefined {
    return (this.secureListener?.address() as AddressInfo | null)?.port ?? this.deps.options.securePort;
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** Requests received and not yet answered, all connections. */
  get outstandingRequests(): number {
    return this.unansweredTotal;
  }

  /** Connections not reading now because of backpressure (server overloaded, or replies unread). */
  get throttledConnectionCount(): number {
    let n = 0;
    for (const conn of this.connections) if (conn.readingPaused) n++;
    return n;
  }

  /** Listens on the client port and, when configured, the TLS port. */
  async listen(): Promise<void> {
    const { options } = this.deps;
    const listener = createServer((socket) => {
      if (this.admit(socket)) this.accept(socket);
    });
    await listenOn(listener, options.port, options.host);
    this.listener = listener;
    const { tls, securePort } = options;
    if (securePort !== undefined && tls === undefined) throw new Error('securePort needs tls options (key and cert)');
    if (tls === undefined || securePort === undefined) return;
    const secure = createSecureListener(
      tls,
      (socket) => this.accept(socket, socket),
      (socket, reason) => this.deps.log.info({ client: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'secure connection refused'),
    );
    // Runs before the TLS handshake: a client over its limit never gets to do one.
    secure.prependListener('connection', (raw: Socket) => void this.admit(raw));
    try {
      await listenOn(secure, securePort, options.host);
    } catch (err) {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      this.listener = null;
      throw err;
    }
    this.secureListener = secure;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    const listeners = [this.listener, this.secureListener];
    this.listener = null;
    this.secureListener = null;
    this.dropConnections();
    await Promise.all(listeners.map((l) => (l ? new Promise<void>((resolve) => l.close(() => resolve())) : undefined)));
  }

  dropConnections(): void {
    for (const conn of [...this.connections]) conn.close();
  }

  /** maxClientConnections: counts the socket against its IP, or closes it when the IP is at its limit. */
  private admit(socket: Socket): boolean {
    const ip = normalizeClientIp(socket.remoteAddress ?? '');
    const count = this.perIp.get(ip) ?? 0;
    const max = this.deps.options.maxClientConnections;
    if (max > 0 && count >= max) {
      this.deps.log.warn({ client: `${ip}:${socket.remotePort ?? 0}`, max }, `too many connections from ${ip}, max is ${max}; closing`);
      socket.on('error', () => {});
      socket.destroy();
      return false;
    }
    this.perIp.set(ip, count + 1);
    socket.once('close', () => {
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    });
    return true;
  }

  private accept(socket: Socket, secure?: TLSSocket): void {
    const conn = new ServerConnection(socket, this);
    const subject = secure ? verifiedSubject(secure) : null;
    if (subject !== null) {
      conn.authIds = zooKeeperAuthOrder(mergeAuthIds(conn.authIds, x509AuthIds(subject, this.deps.authOptions)));
    }
    this.connections.add(conn);
  }

  // ---- ConnectionHost: what each connection calls -----------------------------------

  durableZxid(): bigint {
    return this.deps.durableZxid();
  }

  handshake(conn: ServerConnection, req: ConnectRequest): void {
    this.deps.intake.connect(conn, req);
  }

  request(conn: ServerConnection, xid: number, type: number, buf: Buffer, start: number, end: number): void {
    this.deps.intake.request(conn, xid, type, buf, start, end);
  }

  batchStarted(conn: ServerConnection): void {
    this.deps.intake.batchStarted(conn);
  }

  batchEnded(conn: ServerConnection): void {
    this.deps.intake.batchEnded(conn);
  }

  fourLetterWord(conn: ServerConnection, word: string, after: Buffer): string | Promise<string> | null | typeof NEED_MORE_BYTES {
    return this.deps.fourLetterWord(conn, word, after);
  }

  unanswered(delta: number): void {
    this.unansweredTotal += delta;
    if (delta < 0 && this.throttledConns.size > 0 && !this.overloaded() && !this.unthrottleScheduled) {
      // Once per turn of the event loop, after the batch of replies that brought the count down.
      this.unthrottleScheduled = true;
      setImmediate(() => this.unthrottle());
    }
  }

  overloaded(): boolean {
    return this.unansweredTotal >= this.deps.options.maxOutstandingRequests;
  }

  throttled(conn: ServerConnection): void {
    if (this.throttledConns.size === 0) {
      this.deps.log.debug({ outstanding: this.unansweredTotal, max: this.deps.options.maxOutstandingRequests }, 'too many outstanding requests; reading paused');
    }
    this.throttledConns.add(conn);
  }

  private unthrottle(): void {
    this.unthrottleScheduled = false;
    for (const conn of [...this.throttledConns]) {
      if (this.overloaded()) return;
      this.throttledConns.delete(conn);
      conn.resumeReading();
    }
  }

  closed(conn: ServerConnection): void {
    this.connections.delete(conn);
    this.throttledConns.delete(conn);
    this.deps.onClosed(conn);
  }
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
