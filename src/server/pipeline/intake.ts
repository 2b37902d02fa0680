import { ErrorCode } from '../../jute/error-codes.js';
import type { ConnectRequest } from '../../jute/records/connect.js';
import type { ServerMetrics } from '../admin/server-metrics.js';
import type { ServerConnection } from '../connection.js';
import type { DataTree } from '../data-tree.js';
import type { Session, SessionTracker } from '../session-tracker.js';
import { PipelineRequest, type RequestEnv, type Stage } from './request.js';

/**
 * Stage 1, intake: the first stage after the network.
 * Consumes: the frames a connection (connection.ts) has cut out, in arrival
 * order: the ConnectRequest and then request headers with their raw bodies.
 * Adds: the record itself ({@link PipelineRequest}), its start time and its
 * live session (touched, so its deadline moves out). The frames of one
 * socket read (a batch, see {@link batchStarted}) arrived together: they
 * share one start time, and their session is looked up and touched once.
 * Passes on: the ConnectRequest to the session service (handshake); a request
 * to decode; a request of a session that is gone straight to reply
 * (SESSIONEXPIRED, then the connection closes).
 *
 * While paused (TestingServer.pause) it reads but holds everything, in order,
 * so tests can exercise client timeouts.
 */
export class Intake {
  private held: Array<() => void> | null = null;
  /** The open batch's start (performance.now()), or -1 outside a batch. */
  private batchAt = -1;
  /** Counts batches, so a session checked in one is not taken as checked in the next. */
  private batch = 0;
  /** The session found (and touched) for {@link checkedConn} in batch {@link checkedBatch}. */
  private checked: Session | undefined = undefined;
  private checkedConn: ServerConnection | null = null;
  private checkedBatch = -1;

  constructor(
    private readonly env: RequestEnv,
    private readonly metrics: ServerMetrics,
    private readonly tree: DataTree,
    private readonly sessions: SessionTracker,
    private readonly handshake: (conn: ServerConnection, req: ConnectRequest) => void,
    private readonly next: Stage,
    private readonly reply: Stage,
  ) {}

  connect(conn: ServerConnection, req: ConnectRequest): void {
    // As ZooKeeper, the ConnectRequest is a packet received (and its answer one sent), counted when read.
    this.metrics.packetsReceived++;
    if (this.held) this.held.push(() => this.handshake(conn, req));
    else this.handshake(conn, req);
  }

  request(conn: ServerConnection, xid: number, type: number, buf: Buffer, start: number, end: number): void {
    this.metrics.packetsReceived++;
    const r = new PipelineRequest(this.env, conn, xid, type, buf, start, end);
    if (this.held) this.held.push(() => this.process(r, false));
    else this.process(r, this.batchAt >= 0);
  }

  /** A connection is about to hand over the frames of one socket read (connection.ts). */
  batchStarted(conn: ServerConnection): void {
    this.batch++;
    this.batchAt = this.metrics.beginBatch(conn);
  }

  /** The frames of that read have been handed over. */
  batchEnded(_conn: ServerConnection): void {
    this.batchAt = -1;
    this.checked = undefined;
    this.checkedConn = null;
    this.metrics.endBatch();
  }

  /** `inBatch`: the request is handled as it arrives, in the batch of its socket read (not held by a pause). */
  private process(r: PipelineRequest, inBatch: boolean): void {
    const conn = r.conn;
    if (conn.state !== 'open') return;
    r.started = inBatch ? this.batchAt : performance.now();
    let session = this.checked;
    // Nothing runs between the frames of one read that could expire a session, but a closeSession among them marks it closing.
    if (!inBatch || session === undefined || this.checkedConn !== conn || this.checkedBatch !== this.batch || session.id !== conn.sessionId) {
      session = this.sessions.get(conn.sessionId);
      if (session !== undefined && !session.closing) {
        this.sessions.touch(session);
        if (inBatch) {
          this.checked = session;
          this.checkedConn = conn;
          this.checkedBatch = this.batch;
        }
      }
    }
    if (session === undefined || session.closing) {
      const zxid = this.tree.lastZxid;
      r.answer(r.xid, zxid, ErrorCode.SESSIONEXPIRED, zxid, undefined, true);
      this.reply.process(r);
      return;
    }
    r.session = session;
    this.next.process(r);
  }

  /** Holds every frame from now on, until {@link resume}. */
  pause(): void {
    this.held ??= [];
  }

  /** Runs what was held, in order, and stops holding. */
  resume(): void {
    const held = this.held;
    this.held = null;
    for (const run of held ?? []) run();
  }
}
