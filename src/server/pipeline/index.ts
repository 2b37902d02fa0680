import type { ServerMetrics } from '../admin/server-metrics.js';
import type { ServerConnection } from '../connection.js';
import type { ApplyResult, DataTree } from '../data-tree.js';
import type { ServerState } from '../handlers/context.js';
import type { Logger } from '../logger.js';
import { SessionService } from '../session-service.js';
import type { SessionTracker } from '../session-tracker.js';
import type { Snapshotter } from '../storage/snapshotter.js';
import type { TxnLog } from '../txn-log.js';
import type { Txn, TxnHeader } from '../txn.js';
import type { Delivery } from '../watch-manager.js';
import { Apply } from './apply.js';
import { Decode } from './decode.js';
import { Intake } from './intake.js';
import { Log } from './log.js';
import { Prepare } from './prepare.js';
import { Reply } from './reply.js';
import { Zxids } from './zxids.js';

/** What the pipeline is built from: the server's state and the units around it. */
export interface PipelineDeps {
  readonly state: ServerState;
  readonly tracker: SessionTracker;
  readonly txnLog: TxnLog;
  readonly snapshotter: Snapshotter | null;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  /** Every open connection (admission), for releasing replies once durable. */
  readonly connections: () => Iterable<ServerConnection>;
}

/** The wired pipeline: where frames enter, and the server's own way to run a txn. */
export interface Pipeline {
  /** Stage 1: the connections' frames enter here. */
  readonly intake: Intake;
  readonly sessions: SessionService;
  readonly zxids: Zxids;
  /** Logs and applies a txn of the server's own (expiry, container deletes): log → apply → watch events. */
  commit(header: TxnHeader, txn: Txn): ApplyResult;
}

/**
 * Wires the request pipeline, the one place its order is written down
 * (ZooKeeper's setupRequestProcessors, without a shared server object):
 *
 *   network (connection.ts, admission.ts)
 *   → intake (session check)  → decode (op table)  → prepare (validate, ACL, txn)
 *   → log (group commit)      → apply (tree, sessions, watches)
 *   → reply (replies and watch events, released once durable)
 *
 * Each stage takes a {@link PipelineRequest} record, adds its part and passes
 * it to the next by a direct call (no closure, promise or queue per request:
 * a read goes from intake to reply synchronously, in one call chain); a stage that decides the answer early hands the record
 * straight to reply. Built back to front, since each stage holds the next.
 */
export function setupPipeline(deps: PipelineDeps): Pipeline {
  const { state, metrics } = deps;
  const { tree } = state;
  const zxids = new Zxids(tree.lastZxid);
  const reply = new Reply(metrics, deps.txnLog, state.settings.auth ?? {}, (id) => sessions.connectionOf(id), deps.connections);
  const apply = new Apply(tree, state.watches, deps.tracker, deps.snapshotter, reply);
  const log = new Log(deps.txnLog, apply);
  const prepare = new Prepare(tree, zxids, log, reply);
  const decode = new Decode(deps.log, state, prepare, reply);
  const commit = (header: TxnHeader, txn: Txn): ApplyResult => {
    log.append(header, txn);
    return apply.apply(header, txn);
  };
  const sessions = new SessionService({ ...deps, tree, watches: state.watches, zxids, commit });
  const env = { state, notify: (deliveries: readonly Delivery[]) => reply.notify(deliveries) };
  const intake = new Intake(env, metrics, tree, deps.tracker, (conn, req) => sessions.handshake(conn, req), decode, reply);
  deps.txnLog.onDurable = (zxid) => reply.released(zxid);
  return { intake, sessions, zxids, commit };
}

export type { PipelineRequest, Stage } from './request.js';
