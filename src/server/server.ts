import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { JuteDecodeError } from '../jute/decode-error.js';
import { KeeperState, Perms } from '../jute/enums.js';
import { ErrorCode } from '../jute/error-codes.js';
import { OpCode, Xid } from '../jute/op-codes.js';
import { AuthPacketCodec } from '../jute/ops/auth.js';
import { opByCode } from '../jute/ops/index.js';
import type { JuteReader } from '../jute/reader.js';
import { ConnectResponseCodec, type ConnectRequest, type ConnectResponse } from '../jute/records/connect.js';
import { ReplyHeaderCodec, type RequestHeader } from '../jute/records/headers.js';
import { WatcherEventCodec } from '../jute/records/watcher-event.js';
import type { JuteWriter } from '../jute/writer.js';
import {
  authenticate,
  checkACL,
  mergeAuthIds,
  normalizeClientIp,
  x509AuthIds,
  zooKeeperAuthOrder,
  type AuthOptions,
} from './acl.js';
import { ChangeView } from './change-view.js';
import { NEED_MORE_BYTES, ServerConnection, type ConnectionHost } from './connection.js';
import { DataTree, type ApplyResult, type Trigger } from './data-tree.js';
import { FourLetterWords } from './four-letter-words.js';
import type { ServerView } from './server-view.js';
import { AdminServer } from './admin/admin-server.js';
import { DEFAULT_TRACE_MASK } from './admin/commands.js';
import { ServerMetrics } from './admin/server-metrics.js';
import { handlers } from './handlers/index.js';
import type { Handler, RequestContext, ServerState } from './handlers/context.js';
import { createLogger, type Logger } from './logger.js';
import { resolveOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { SessionTracker, type Session } from './session-tracker.js';
import { MemoryTxnLog, type TxnLog } from './txn-log.js';
import { EphemeralOwner, type Txn, type TxnHeader } from './txn.js';
import { ensureDataDir, loadSecret } from './storage/data-dir.js';
import { FileTxnLog } from './storage/file-txn-log.js';
import { recover } from './storage/recovery.js';
import { Snapshotter } from './storage/snapshotter.js';
import { createSecureListener, verifiedSubject } from './tls.js';
import { WatchManager, type Delivery } from './watch-manager.js';

/**
 * Herd's coordination server. A request flows one way through these stages,
 * wired in {@link HerdServer.handleRequest}:
 *   network (ServerConnection: frames) → decode (jute) → prepare (handlers:
 *   validate, ACL, build a txn) → log (TxnLog.append) → apply (DataTree) →
 *   reply and watch events (ServerConnection.send, released once durable).
 * Everything runs on the event loop, so each txn is applied before the next
 * request is prepared, and prepare can read the applied tree directly.
 */

const EMPTY_PASSWORD = Buffer.alloc(16);

/** What a server starts from: a recovered tree and sessions, and where to log. */
export interface ServerStorage {
  tree: DataTree;
  /** Live sessions and their timeouts. */
  sessions: ReadonlyMap<bigint, number>;
  txnLog: TxnLog;
  secret?: Buffer;
  snapshotter?: Snapshotter;
}

export class HerdServer implements ConnectionHost, ServerView {
  readonly options: ResolvedServerOptions;
  readonly log: Logger;
  readonly tree: DataTree;
  readonly watches = new WatchManager();
  readonly sessions: SessionTracker;
  readonly startedAt = Date.now();
  /** Counters and latency for the four-letter words, the admin server and /metrics. */
  readonly metrics = new ServerMetrics();
  private readonly state: ServerState;
  private readonly txnLog: TxnLog;
  private readonly snapshotter: Snapshotter | null;
  private readonly connections = new Set<ServerConnection>();
  private readonly bySession = new Map<bigint, ServerConnection>();
  private readonly words: FourLetterWords;
  private listener: Server | null = null;
  private admin: AdminServer | null = null;
  /** Op code of the request being handled, for the latency metrics of its reply. */
  private requestType = 0;
  private secureListener: Server | null = null;
  /** Open sockets per client IP, both ports, for maxClientConnections. */
  private readonly perIp = new Map<string, number>();
  /** Requests received and not yet answered, all connections (backpressure). */
  private unansweredTotal = 0;
  /** Connections that stopped reading because of {@link unansweredTotal}. */
  private readonly throttledConns = new Set<ServerConnection>();
  private unthrottleScheduled = false;
  /** Provider settings for ACL checks: x509 exists when the secure port is configured. */
  readonly authOptions: AuthOptions;
  private containerTimer: NodeJS.Timeout | null = null;
  private nextZxid: bigint;
  /**
   * ZooKeeper's trace mask (ZooTrace), read by `gtmk` and set by `stmk`.
   * Kept so tools that set and read it work; Herd's own logging is chosen by
   * the log level.
   */
  traceMask: bigint = DEFAULT_TRACE_MASK;
  /** When > 0, requests are read but not answered (TestingServer.pause). */
  private pausedReplies: Array<() => void> | null = null;

  constructor(options: ServerOptions = {}, storage?: ServerStorage) {
    this.options = resolveOptions(options);
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info');
    this.tree = storage?.tree ?? new DataTree();
    this.txnLog = storage?.txnLog ?? new MemoryTxnLog();
    this.snapshotter = storage?.snapshotter ?? null;
    this.txnLog.onDurable = (zxid) => this.releaseReplies(zxid);
    if (this.txnLog instanceof FileTxnLog) this.txnLog.onFsync = (ms) => this.metrics.fsync(ms);
    this.sessions = new SessionTracker(this.options.tickTime, (s) => this.expire(s), storage?.secret);
    // Restored sessions get a full timeout from now to reconnect, as in ZooKeeper.
    for (const [id, timeout] of storage?.sessions ?? []) this.sessions.add(id, timeout);
    const tls = this.options.tls;
    this.authOptions = {
      ...(this.options.superDigest !== undefined ? { superDigest: this.options.superDigest } : {}),
      ...(tls !== undefined ? { x509: true } : {}),
      ...(tls?.superUser !== undefined ? { x509SuperUser: tls.superUser } : {}),
    };
    this.state = { tree: this.tree, watches: this.watches, settings: { extendedTypes: this.options.extendedTypes, auth: this.authOptions } };
    this.nextZxid = this.tree.lastZxid + 1n;
    this.words = new FourLetterWords(this);
  }

  /**
   * Opens a server: with a dataDir, recovers the tree and sessions from the
   * newest snapshot and the log, and logs durably from then on.
   */
  static async open(options: ServerOptions = {}): Promise<HerdServer> {
    const dir = options.dataDir;
    if (dir === undefined) return new HerdServer(options);
    const resolved = resolveOptions(options);
    const log = options.logger ?? createLogger(options.logLevel ?? 'info');
    await ensureDataDir(dir);
    const started = performance.now();
    const recovered = await recover(dir, log);
    const secret = await loadSecret(dir);
    let server: HerdServer | null = null;
    const txnLog = new FileTxnLog(
      {
        dir,
        forceSync: resolved.forceSync,
        preallocateBytes: resolved.preallocateBytes,
        maxFileSize: resolved.preallocateBytes,
        log,
        onFatal: (err) => server?.fatal(err),
      },
      recovered.tree.lastZxid,
    );
    await txnLog.resume(recovered.resume);
    const snapshotter = new Snapshotter(dir, resolved.snapCount, resolved.snapRetainCount, resolved.forceSync, txnLog, log);
    server = new HerdServer({ ...options, logger: log }, { ...recovered, txnLog, secret, snapshotter });
    log.info(
      {
        dataDir: dir,
        zxid: `0x${recovered.tree.lastZxid.toString(16)}`,
        nodes: recovered.tree.nodeCount - 1,
        sessions: recovered.sessions.size,
        txnsReplayed: recovered.txnsReplayed,
        ms: Math.round(performance.now() - started),
      },
      'data directory loaded',
    );
    return server;
  }

  /** The log cannot write: stop serving rather than acknowledge what may not be durable. */
  fatal(err: Error): void {
    this.log.error({ err: err.message }, 'transaction log failed; server stopping');
    void this.stopListening();
  }

  /** Writes a snapshot now (tests and operators). */
  async snapshot(): Promise<void> {
    await this.snapshotter?.snapshot(this.tree, this.snapshotSessions());
  }

  private snapshotSessions(): Array<{ id: bigint; timeout: number }> {
    const out: Array<{ id: bigint; timeout: number }> = [];
    for (const s of this.sessions.all()) if (!s.closing) out.push({ id: s.id, timeout: s.timeout });
    return out;
  }

  get maxFrameSize(): number {
    return this.options.maxFrameSize;
  }

  get port(): number {
    return (this.listener?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  /** The TLS client port, or undefined when none is configured. */
  get securePort(): number | undefined {
    return (this.secureListener?.address() as AddressInfo | null)?.port ?? this.options.securePort;
  }

  get sendBufferHighWaterMark(): number {
    return this.options.sendBufferHighWaterMark;
  }

  get maxSendBuffer(): number {
    return this.options.maxSendBuffer;
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

  /** The HTTP admin server's port, while it runs. */
  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  allConnections(): ReadonlySet<ServerConnection> {
    return this.connections;
  }

  durableZxid(): bigint {
    return this.txnLog.durableZxid;
  }

  async listen(): Promise<void> {
    const listener = createServer((socket) => {
      if (this.admit(socket)) this.accept(socket);
    });
    await listenOn(listener, this.options.port, this.options.host);
    this.listener = listener;
    const { tls, securePort } = this.options;
    if (securePort !== undefined && tls === undefined) throw new Error('securePort needs tls options (key and cert)');
    if (tls !== undefined && securePort !== undefined) {
      const secure = createSecureListener(
        tls,
        (socket) => this.accept(socket, socket),
        (socket, reason) => this.log.info({ client: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'secure connection refused'),
      );
      // Runs before the TLS handshake: a client over its limit never gets to do one.
      secure.prependListener('connection', (raw: Socket) => void this.admit(raw));
      try {
        await listenOn(secure, securePort, this.options.host);
      } catch (err) {
        await new Promise<void>((resolve) => listener.close(() => resolve()));
        this.listener = null;
        throw err;
      }
      this.secureListener = secure;
    }
    this.sessions.start();
    this.containerTimer = setInterval(() => this.collectContainers(), this.options.containerCheckInterval);
    this.containerTimer.unref();
    const { adminPort, adminHost } = this.options;
    if (adminPort !== undefined) {
      try {
        this.admin = await AdminServer.start(this, adminPort, adminHost);
      } catch (err) {
        await this.stopListening();
        throw err;
      }
    }
    this.log.info(
      { port: this.port, ...(this.admin ? { adminPort: this.admin.port } : {}), ...(this.secureListener ? { securePort: this.securePort } : {}), host: this.options.host },
      'herd server listening',
    );
  }

  /** Stops listening and drops every connection; sessions and data stay (for a restart). */
  async stopListening(): Promise<void> {
    this.sessions.stop();
    if (this.containerTimer) clearInterval(this.containerTimer);
    this.containerTimer = null;
    const listeners = [this.listener, this.secureListener];
    this.listener = null;
    this.secureListener = null;
    this.dropConnections();
    const admin = this.admin;
    this.admin = null;
    await admin?.close();
    await Promise.all(listeners.map((l) => (l ? new Promise<void>((resolve) => l.close(() => resolve())) : undefined)));
  }

  async close(): Promise<void> {
    await this.stopListening();
    await this.snapshotter?.idle();
    await this.txnLog.close();
  }

  dropConnections(): void {
    for (const conn of [...this.connections]) conn.close();
  }

  /** Stop answering (requests are held) until {@link resume}: lets tests exercise client timeouts. */
  pause(): void {
    this.pausedReplies ??= [];
  }

  resume(): void {
    const held = this.pausedReplies;
    this.pausedReplies = null;
    for (const run of held ?? []) run();
  }

  /** maxClientConnections: counts the socket against its IP, or closes it when the IP is at its limit. */
  private admit(socket: Socket): boolean {
    const ip = normalizeClientIp(socket.remoteAddress ?? '');
    const count = this.perIp.get(ip) ?? 0;
    const max = this.options.maxClientConnections;
    if (max > 0 && count >= max) {
      this.log.warn({ client: `${ip}:${socket.remotePort ?? 0}`, max }, `too many connections from ${ip}, max is ${max}; closing`);
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
      conn.authIds = zooKeeperAuthOrder(mergeAuthIds(conn.authIds, x509AuthIds(subject, this.authOptions)));
    }
    this.connections.add(conn);
  }

  // ---- backpressure ---------------------------------------------------------------

  unanswered(delta: number): void {
    this.unansweredTotal += delta;
    if (delta < 0 && this.throttledConns.size > 0 && !this.overloaded() && !this.unthrottleScheduled) {
      // Once per turn of the event loop, after the batch of replies that brought the count down.
      this.unthrottleScheduled = true;
      setImmediate(() => this.unthrottle());
    }
  }

  overloaded(): boolean {
    return this.unansweredTotal >= this.options.maxOutstandingRequests;
  }

  throttled(conn: ServerConnection): void {
    if (this.throttledConns.size === 0) {
      this.log.debug({ outstanding: this.unansweredTotal, max: this.options.maxOutstandingRequests }, 'too many outstanding requests; reading paused');
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
    this.metrics.connectionClosed(conn);
    this.connections.delete(conn);
    this.throttledConns.delete(conn);
    if (conn.sessionId !== 0n && this.bySession.get(conn.sessionId) === conn) {
      this.bySession.delete(conn.sessionId);
      // Watches belong to the connection; a client re-registers them with setWatches when it reconnects.
      this.watches.removeSession(conn.sessionId);
    }
  }

  fourLetterWord(conn: ServerConnection, word: string, after: Buffer): string | Promise<string> | null | typeof NEED_MORE_BYTES {
    return this.words.answer(conn, word, after);
  }

  // ---- handshake -------------------------------------------------------------

  handshake(conn: ServerConnection, req: ConnectRequest): void {
    // As ZooKeeper, the ConnectRequest is a packet received (and its answer one sent), counted when read.
    this.metrics.packetsReceived++;
    if (this.pausedReplies) {
      this.pausedReplies.push(() => this.answerHandshake(conn, req));
      return;
    }
    this.answerHandshake(conn, req);
  }

  private answerHandshake(conn: ServerConnection, req: ConnectRequest): void {
    if (req.lastZxidSeen > this.tree.lastZxid) {
      // The client has seen a newer state than ours: it must find a server that is caught up.
      conn.abort(`client has seen zxid 0x${req.lastZxidSeen.toString(16)}, ours is 0x${this.tree.lastZxid.toString(16)}`);
      return;
    }
    const { minSessionTimeout, maxSessionTimeout } = this.options;
    const timeout = Math.min(Math.max(req.timeOut, minSessionTimeout), maxSessionTimeout);
    const readOnly = req.readOnly === undefined ? undefined : false;
    if (req.sessionId !== 0n) {
      // As ZooKeeper: the session's current connection is closed before the password is checked.
      const current = this.bySession.get(req.sessionId);
      if (current && current !== conn) current.close();
      const session = this.sessions.get(req.sessionId);
      if (!session || session.closing || !samePassword(session.password, req.passwd)) {
        // Timeout 0 tells the client its session is gone (expired).
        this.connectResponse(conn, this.tree.lastZxid, { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: EMPTY_PASSWORD, ...opt(readOnly) });
        conn.closeAfterReplies();
        return;
      }
      const previous = this.bySession.get(session.id);
      if (previous && previous !== conn) previous.close();
      // A new connection starts without watches; the client re-registers them with setWatches.
      this.watches.removeSession(session.id);
      session.timeout = timeout;
      this.sessions.touch(session);
      this.attach(conn, session.id);
      this.connectResponse(conn, this.tree.lastZxid, { protocolVersion: 0, timeOut: timeout, sessionId: session.id, passwd: session.password, ...opt(readOnly) });
      return;
    }
    const sessionId = this.sessions.allocateId();
    const header = this.txnHeader(sessionId, 0);
    this.commit(header, { type: 'createSession', sessionId, timeout });
    const session = this.sessions.get(sessionId)!;
    this.attach(conn, sessionId);
    this.connectResponse(conn, header.zxid, { protocolVersion: 0, timeOut: timeout, sessionId, passwd: session.password, ...opt(readOnly) });
  }

  private connectResponse(conn: ServerConnection, barrier: bigint, response: ConnectResponse): void {
    this.metrics.packetsSent++;
    conn.sent++;
    conn.reply(barrier, (w) => ConnectResponseCodec.write(w, response));
  }

  private attach(conn: ServerConnection, sessionId: bigint): void {
    conn.sessionId = sessionId;
    this.bySession.set(sessionId, conn);
  }

  // ---- requests ----------------------------------------------------------------

  request(conn: ServerConnection, header: RequestHeader, body: JuteReader): void {
    this.metrics.packetsReceived++;
    if (this.pausedReplies) {
      this.pausedReplies.push(() => this.answerRequest(conn, header, body));
      return;
    }
    this.answerRequest(conn, header, body);
  }

  private answerRequest(conn: ServerConnection, header: RequestHeader, body: JuteReader): void {
    if (conn.state !== 'open') return;
    const started = performance.now();
    this.requestType = header.type;
    const session = this.sessions.get(conn.sessionId);
    if (!session || session.closing) {
      this.reply(conn, header.xid, this.tree.lastZxid, ErrorCode.SESSIONEXPIRED, started);
      conn.closeAfterReplies();
      return;
    }
    this.sessions.touch(session);
    this.handleRequest(conn, session, header, body, started);
  }

  private handleRequest(conn: ServerConnection, session: Session, header: RequestHeader, body: JuteReader, started: number): void {
    const { xid, type } = header;
    if (type === OpCode.ping) {
      this.reply(conn, Xid.ping, this.tree.lastZxid, 0, started);
      return;
    }
    if (type === OpCode.auth) return this.auth(conn, body, started);
    if (type === OpCode.closeSession) {
      session.closing = true;
      const txnHeader = this.txnHeader(session.id, xid);
      this.commit(txnHeader, { type: 'closeSession', sessionId: session.id });
      this.reply(conn, xid, txnHeader.zxid, 0, started);
      conn.closeAfterReplies();
      return;
    }
    const op = opByCode(type);
    const handler = op ? (handlers[op.name] as Handler<unknown> | undefined) : undefined;
    if (!op || !handler) {
      this.log.warn({ client: conn.describe(), type }, 'unknown request type, closing connection');
      // ZooKeeper answers an unknown type outside the pipeline, with no zxid (-1).
      this.reply(conn, xid, -1n, ErrorCode.UNIMPLEMENTED, started);
      conn.closeAfterReplies();
      return;
    }
    let req: unknown;
    try {
      req = op.request.read(body);
    } catch (err) {
      if (!(err instanceof JuteDecodeError)) throw err;
      this.log.warn({ client: conn.describe(), op: op.name, reason: err.message }, 'malformed request, closing connection');
      this.reply(conn, xid, this.tree.lastZxid, ErrorCode.MARSHALLINGERROR, started);
      conn.closeAfterReplies();
      return;
    }
    const ctx: RequestContext = {
      state: this.state,
      sessionId: session.id,
      authIds: conn.authIds,
      notify: (deliveries) => this.deliver(deliveries, null, this.txnLog.durableZxid),
    };
    if (handler.kind === 'read') {
      const outcome = handler.handle(ctx, req);
      // A read waits for the writes already applied, so no client sees state that is not durable yet.
      this.reply(conn, xid, this.tree.lastZxid, outcome.err, started, outcome.body, this.nextZxid - 1n);
      return;
    }
    const txnHeader = this.txnHeader(session.id, xid);
    const txn = handler.prepare(ctx, new ChangeView(this.tree), req);
    const result = this.commit(txnHeader, txn);
    const err = txn.type === 'error' ? txn.err : 0;
    this.reply(conn, xid, this.tree.lastZxid, err, started, err === 0 ? (w) => handler.respond(result, w, req) : undefined, txnHeader.zxid);
  }

  private auth(conn: ServerConnection, body: JuteReader, started: number): void {
    let ids = null;
    try {
      const packet = AuthPacketCodec.read(body);
      ids = authenticate(packet.scheme, packet.auth ?? Buffer.alloc(0), conn.remoteAddress, this.authOptions);
    } catch (err) {
      if (!(err instanceof JuteDecodeError)) throw err;
    }
    if (!ids) {
      this.metrics.authFailed++;
      this.reply(conn, Xid.auth, 0n, ErrorCode.AUTHFAILED, started);
      conn.closeAfterReplies();
      return;
    }
    // In ZooKeeper's set order, which whoAmI and `auth` ACL expansion show.
    conn.authIds = zooKeeperAuthOrder(mergeAuthIds(conn.authIds, ids));
    this.reply(conn, Xid.auth, 0n, 0, started);
  }

  private txnHeader(sessionId: bigint, cxid: number): TxnHeader {
    return { sessionId, cxid, zxid: this.nextZxid++, time: Date.now() };
  }

  /** log → apply → watch events: the write half of the pipeline, for requests and the server's own txns. */
  private commit(header: TxnHeader, txn: Txn): ApplyResult {
    this.txnLog.append(header, txn);
    const triggers: Trigger[] = [];
    const result = this.tree.apply(header, txn, triggers);
    if (txn.type === 'createSession') this.sessions.add(txn.sessionId, txn.timeout);
    else if (txn.type === 'closeSession') this.sessions.remove(txn.sessionId);
    this.snapshotter?.onTxn(this.tree, () => this.snapshotSessions());
    for (const t of triggers) this.deliver(this.watches.trigger(t.path, t.type), t, header.zxid);
    return result;
  }

  /** Sends watch events; with a trigger, only to sessions allowed to READ what changed (ZooKeeper 3.8.4+). */
  private deliver(deliveries: readonly Delivery[], trigger: Trigger | null, barrier: bigint): void {
    for (const d of deliveries) {
      const conn = this.bySession.get(d.sessionId);
      if (!conn) continue;
      if (trigger && !checkACL(trigger.acl, Perms.read, conn.authIds, this.authOptions)) continue;
      this.metrics.packetsSent++;
      conn.sent++;
      conn.send(barrier, (w) => {
        ReplyHeaderCodec.write(w, { xid: Xid.notification, zxid: -1n, err: 0 });
        WatcherEventCodec.write(w, { type: d.type, state: KeeperState.syncConnected, path: d.path });
      });
    }
  }

  private reply(
    conn: ServerConnection,
    xid: number,
    zxid: bigint,
    err: number,
    started: number,
    body?: (w: JuteWriter) => void,
    barrier: bigint = zxid,
  ): void {
    conn.outstanding--;
    conn.lastZxid = zxid;
    this.metrics.replied(conn, this.requestType, xid, zxid, started, barrier, barrier <= this.txnLog.durableZxid);
    conn.sent++;
    conn.reply(barrier, (w) => {
      ReplyHeaderCodec.write(w, { xid, zxid, err });
      if (err === 0 && body) body(w);
    });
  }

  private releaseReplies(durable: bigint): void {
    this.metrics.durable(durable);
    for (const conn of this.connections) if (conn.hasWaitingReplies) conn.release(durable);
  }

  // ---- the server's own txns ----------------------------------------------------

  /** Ends a session whose deadline passed: its ephemerals go, and its connection is closed. */
  expire(session: Session): void {
    if (session.closing) return;
    session.closing = true;
    this.log.info({ sessionId: `0x${session.id.toString(16)}`, timeout: session.timeout }, 'session expired');
    this.commit(this.txnHeader(session.id, 0), { type: 'closeSession', sessionId: session.id });
    this.bySession.get(session.id)?.close();
  }

  /** Deletes containers whose last child is gone and TTL nodes past their ttl, as ZooKeeper's ContainerManager. */
  collectContainers(): void {
    const now = Date.now();
    const doomed: string[] = [];
    for (const path of this.tree.containers) {
      const node = this.tree.get(path);
      // A container that never had a child is kept, so a client can create one and then fill it.
      if (node && node.numChildren === 0 && node.cversion > 0) doomed.push(path);
    }
    for (const path of this.tree.ttls) {
      const node = this.tree.get(path);
      if (node && node.numChildren === 0 && now - node.mtime > EphemeralOwner.ttlOf(node.ephemeralOwner)) doomed.push(path);
    }
    for (const path of doomed) {
      const node = this.tree.get(path);
      if (!node || node.numChildren > 0) continue;
      this.commit(this.txnHeader(0n, 0), { type: 'delete', path });
    }
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

function samePassword(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function opt(readOnly: boolean | undefined): { readOnly?: boolean } {
  return readOnly === undefined ? {} : { readOnly };
}

/**
 * A running Herd server, as {@link startServer} (and, with test helpers,
 * `TestingServer` of `herd-zk/testing`) returns it.
 *
 * @example
 * ```ts
 * await using server = await startServer({ port: 2181, dataDir: '/var/lib/herd' });
 * const client = createClient(server.connectionString);
 * ```
 */
export interface ServerHandle extends AsyncDisposable {
  /** The host clients connect to: the listening host, or `127.0.0.1` when the server listens on every interface. */
  readonly host: string;
  /** The client port (the one chosen by the system when the options said 0). */
  readonly port: number;
  /** `host:port`, ready for `createClient`. */
  readonly connectionString: string;
  /** The TLS client port, or undefined when none is configured. */
  readonly securePort: number | undefined;
  /** The HTTP admin server's port (`/commands`, `/metrics`), or undefined when it is off. */
  readonly adminPort: number | undefined;
  /**
   * Stops the server: stops listening, drops every connection and flushes
   * the transaction log. Sessions and data stay in the data directory, so a
   * server started on it later resumes them. Idempotent.
   */
  close(): Promise<void>;
  /** {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const instances = new WeakMap<ServerHandle, () => HerdServer>();

/**
 * The server behind a handle, for Herd's own tests and tools (inspection,
 * faults). Internal: not exported from the package, whose users need only
 * the handle.
 */
export function serverInstance(handle: ServerHandle): HerdServer {
  const get = instances.get(handle);
  if (get === undefined) throw new Error('not a handle of a Herd server');
  return get();
}

/**
 * Registers `handle` as the public face of the server `current()` returns
 * (a TestingServer's instance changes when it restarts).
 */
export function registerHandle(handle: ServerHandle, current: () => HerdServer): void {
  instances.set(handle, current);
}

/** The host a client on this machine reaches a server listening on `host` by. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Starts a Herd server and resolves once it is listening: with a
 * `dataDir`, it first recovers the tree and sessions from it.
 *
 * @throws when the port is taken, the options are invalid or the data
 * directory cannot be read (a corrupt log or snapshot)
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  // A start that cannot listen (a port in use) leaves no new data directory behind.
  const freshDir = options.dataDir !== undefined && !existsSync(options.dataDir);
  const server = await HerdServer.open(options);
  try {
    await server.listen();
  } catch (error) {
    await server.close().catch(() => undefined);
    if (freshDir) await rm(options.dataDir!, { recursive: true, force: true });
    throw error;
  }
  const host = connectHost(server.options.host);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= server.close());
  const handle: ServerHandle = {
    host,
    port: server.port,
    connectionString: `${host}:${server.port}`,
    get securePort() {
      return server.securePort;
    },
    get adminPort() {
      return server.adminPort;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  registerHandle(handle, () => server);
  return handle;
}
