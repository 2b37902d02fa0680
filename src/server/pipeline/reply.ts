import { KeeperState, Perms } from '../../jute/enums.js';
import { Xid } from '../../jute/op-codes.js';
import { WatcherEventCodec } from '../../jute/records/watcher-event.js';
import { checkACL, type AuthOptions } from '../acl.js';
import type { ServerMetrics } from '../admin/server-metrics.js';
import type { ServerConnection } from '../connection.js';
import type { Trigger } from '../data-tree.js';
import type { TxnLog } from '../txn-log.js';
import type { Delivery } from '../watch-manager.js';
import type { ReadHandler, WriteHandler } from '../handlers/context.js';
import type { PipelineRequest, Stage } from './request.js';

/**
 * Stage 6, reply and watch delivery: the last stage.
 * Consumes: a record with its answer (from any earlier stage), and watch
 * events (apply, and handlers through their context's notify).
 * Adds: the reply metrics (latency by request type, from the record).
 * Passes on: the bytes, to the connection's queue (connection.ts), each with
 * the zxid that must be durable before it is written; the log's `onDurable`
 * calls {@link released}, which lets them go in order. A reply counts as
 * answered on its connection once it is written.
 */
export class Reply implements Stage {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly txnLog: TxnLog,
    private readonly auth: AuthOptions,
    /** The connection a session is attached to now, if any (the session service). */
    private readonly connectionOf: (sessionId: bigint) => ServerConnection | undefined,
    /** Every open connection (admission). */
    private readonly connections: () => Iterable<ServerConnection>,
  ) {}

  process(r: PipelineRequest): void {
    const conn = r.conn;
    const { replyXid: xid, replyZxid: zxid, err, barrier } = r;
    conn.lastZxid = zxid;
    this.metrics.replied(conn, r.type, xid, zxid, r.started, barrier, barrier <= this.txnLog.durableZxid);
    conn.sent++;
    // Encoded straight into the connection's output (or its queue of replies waiting for fsync).
    const w = conn.startFrame(barrier);
    if (w !== null) {
      w.int(xid).long(zxid).int(err);
      // A body with an error is rare but real: ZooKeeper answers a multiRead of writes with MarshallingError
      // and the empty MultiResponse it had begun (handlers/multi.ts); every other error reply has none.
      if (r.replyBody !== undefined) r.replyBody(w);
      else if (err === 0) {
        if (r.node !== undefined) (r.handler as ReadHandler<unknown>).writeNode!(w, r.node);
        else if (r.result !== undefined) (r.handler as WriteHandler<unknown>).respond(r.result, w, r.req);
      }
      conn.endFrame(true);
    }
    if (r.close) conn.closeAfterReplies();
  }

  /** Sends watch events; with a trigger, only to sessions allowed to READ what changed (ZooKeeper 3.8.4+). */
  deliver(deliveries: readonly Delivery[], trigger: Trigger | null, barrier: bigint): void {
    for (const d of deliveries) {
      const conn = this.connectionOf(d.sessionId);
      if (!conn) continue;
      if (trigger && !checkACL(trigger.acl, Perms.read, conn.authIds, this.auth)) continue;
      this.metrics.packetsSent++;
      conn.sent++;
      const w = conn.startFrame(barrier);
      if (w === null) continue;
      w.int(Xid.notification).long(-1n).int(0);
      WatcherEventCodec.write(w, { type: d.type, state: KeeperState.syncConnected, path: d.path });
      conn.endFrame(false);
    }
  }

  /** Watch events a handler sends (not from a txn): they wait only for what is durable already. */
  notify(deliveries: readonly Delivery[]): void {
    this.deliver(deliveries, null, this.txnLog.durableZxid);
  }

  /** The log made everything up to `durable` durable: the replies and events waiting for it go out. */
  released(durable: bigint): void {
    this.metrics.durable(durable);
    for (const conn of this.connections()) if (conn.hasWaitingReplies) conn.release(durable);
  }
}
