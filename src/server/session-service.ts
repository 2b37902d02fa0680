import { timingSafeEqual } from 'node:crypto';
import { ConnectResponseCodec, type ConnectRequest, type ConnectResponse } from '../jute/records/connect.js';
import type { ServerMetrics } from './admin/server-metrics.js';
import type { ServerConnection } from './connection.js';
import type { ApplyResult, DataTree } from './data-tree.js';
import type { Logger } from './logger.js';
import type { Zxids } from './pipeline/zxids.js';
import type { Session, SessionTracker } from './session-tracker.js';
import type { Txn, TxnHeader } from './txn.js';
import type { WatchManager } from './watch-manager.js';

const EMPTY_PASSWORD = Buffer.alloc(16);

/** What the session service needs from the server around it. */
export interface SessionServiceDeps {
  readonly tracker: SessionTracker;
  readonly tree: DataTree;
  readonly watches: WatchManager;
  readonly zxids: Zxids;
  /** Runs one of the server's own txns through log and apply (pipeline/index.ts). */
  readonly commit: (header: TxnHeader, txn: Txn) => ApplyResult;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  /** Negotiation bounds for a client's session timeout, ms. */
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
}

/**
 * The session service: which connection each session is attached to, the
 * handshake (a new session, or the resumption of one on a new connection)
 * and expiry. A session's life in the tree (createSession, closeSession)
 * is a txn like any other, run through the pipeline's log and apply stages;
 * the tracker (session-tracker.ts) only keeps deadlines. The session ops
 * that arrive as requests (ping, auth, closeSession) are ordinary handlers
 * (handlers/session-ops.ts).
 */
export class SessionService {
  private readonly bySession = new Map<bigint, ServerConnection>();

  constructor(private readonly deps: SessionServiceDeps) {}

  /** The connection the session is attached to now, if any. */
  connectionOf(sessionId: bigint): ServerConnection | undefined {
    return this.bySession.get(sessionId);
  }

  /** Answers a ConnectRequest: creates a session, resumes one, or tells the client its session is gone. */
  handshake(conn: ServerConnection, req: ConnectRequest): void {
    const { tree, tracker } = this.deps;
    if (req.lastZxidSeen > tree.lastZxid) {
      // The client has seen a newer state than ours: it must find a server that is caught up.
      conn.abort(`client has seen zxid 0x${req.lastZxidSeen.toString(16)}, ours is 0x${tree.lastZxid.toString(16)}`);
      return;
    }
    const timeout = Math.min(Math.max(req.timeOut, this.deps.minSessionTimeout), this.deps.maxSessionTimeout);
    const readOnly = req.readOnly === undefined ? {} : { readOnly: false };
    if (req.sessionId !== 0n) {
      // As ZooKeeper: the session's current connection is closed before the password is checked.
      const current = this.bySession.get(req.sessionId);
      if (current && current !== conn) current.close();
      const session = tracker.get(req.sessionId);
      if (!session || session.closing || !samePassword(session.password, req.passwd)) {
        // Timeout 0 tells the client its session is gone (expired).
        this.connectResponse(conn, tree.lastZxid, { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: EMPTY_PASSWORD, ...readOnly });
        conn.closeAfterReplies();
        return;
      }
      const previous = this.bySession.get(session.id);
      if (previous && previous !== conn) previous.close();
      // A new connection starts without watches; the client re-registers them with setWatches.
      this.deps.watches.removeSession(session.id);
      session.timeout = timeout;
      tracker.touch(session);
      this.attach(conn, session.id);
      this.connectResponse(conn, tree.lastZxid, { protocolVersion: 0, timeOut: timeout, sessionId: session.id, passwd: session.password, ...readOnly });
      return;
    }
    const sessionId = tracker.allocateId();
    const header = this.deps.zxids.header(sessionId, 0);
    this.deps.commit(header, { type: 'createSession', sessionId, timeout });
    const session = tracker.get(sessionId)!;
    this.attach(conn, sessionId);
    this.connectResponse(conn, header.zxid, { protocolVersion: 0, timeOut: timeout, sessionId, passwd: session.password, ...readOnly });
  }

  private connectResponse(conn: ServerConnection, barrier: bigint, response: ConnectResponse): void {
    this.deps.metrics.packetsSent++;
    conn.sent++;
    conn.reply(barrier, (w) => ConnectResponseCodec.write(w, response));
  }

  private attach(conn: ServerConnection, sessionId: bigint): void {
    conn.sessionId = sessionId;
    this.bySession.set(sessionId, conn);
  }

  /** A connection closed: its session stays (until it expires), its watches go. */
  detach(conn: ServerConnection): void {
    if (conn.sessionId === 0n || this.bySession.get(conn.sessionId) !== conn) return;
    this.bySession.delete(conn.sessionId);
    // Watches belong to the connection; a client re-registers them with setWatches when it reconnects.
    this.deps.watches.removeSession(conn.sessionId);
  }

  /** Ends a session whose deadline passed: its ephemerals go, and its connection is closed. */
  expire(session: Session): void {
    if (session.closing) return;
    session.closing = true;
    this.deps.log.info({ sessionId: `0x${session.id.toString(16)}`, timeout: session.timeout }, 'session expired');
    this.deps.commit(this.deps.zxids.header(session.id, 0), { type: 'closeSession', sessionId: session.id });
    this.bySession.get(session.id)?.close();
  }
}

function samePassword(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
