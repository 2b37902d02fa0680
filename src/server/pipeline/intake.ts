import { ErrorCode } from '../../jute/error-codes.js';
import type { JuteReader } from '../../jute/reader.js';
import type { ConnectRequest } from '../../jute/records/connect.js';
import type { ServerMetrics } from '../admin/server-metrics.js';
import type { ServerConnection } from '../connection.js';
import type { DataTree } from '../data-tree.js';
import type { SessionTracker } from '../session-tracker.js';
import { PipelineRequest, type RequestEnv, type Stage } from './request.js';

/**
 * Stage 1, intake: the first stage after the network.
 * Consumes: the frames a connection (connection.ts) has cut out, in arrival
 * order: the ConnectRequest and then request headers with their raw bodies.
 * Adds: the record itself ({@link PipelineRequest}), its start time and its
 * live session (touched, so its deadline moves out).
 * Passes on: the ConnectRequest to the session service (handshake); a request
 * to decode; a request of a session that is gone straight to reply
 * (SESSIONEXPIRED, then the connection closes).
 *
 * While paused (TestingServer.pause) it reads but holds everything, in order,
 * so tests can exercise client timeouts.
 */
export class Intake {
  private held: Array<() => void> | null = null;

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

  request(conn: ServerConnection, xid: number, type: number, body: JuteReader): void {
    this.metrics.packetsReceived++;
    const r = new PipelineRequest(this.env, conn, xid, type, body);
    if (this.held) this.held.push(() => this.process(r));
    else this.process(r);
  }

  private process(r: PipelineRequest): void {
    if (r.conn.state !== 'open') return;
    r.started = performance.now();
    const session = this.sessions.get(r.conn.sessionId);
    if (!session || session.closing) {
      const zxid = this.tree.lastZxid;
      r.answer(r.xid, zxid, ErrorCode.SESSIONEXPIRED, zxid, undefined, true);
      this.reply.process(r);
      return;
    }
    this.sessions.touch(session);
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
