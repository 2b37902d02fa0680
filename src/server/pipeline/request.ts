import type { AnyOp } from '../../jute/ops/index.js';
import type { JuteWriter } from '../../jute/writer.js';
import type { AuthId } from '../acl.js';
import { mergeAuthIds, zooKeeperAuthOrder } from '../acl.js';
import type { ServerConnection } from '../connection.js';
import type { ApplyResult } from '../data-tree.js';
import type { DataNode } from '../data-node.js';
import { ok, type Handler, type ReadOutcome, type RequestClient, type RequestContext, type ServerState } from '../handlers/context.js';
import type { Session } from '../session-tracker.js';
import type { Txn, TxnHeader } from '../txn.js';
import type { Delivery } from '../watch-manager.js';

/** What every request shares: the server state its handler reads, and where handler-sent watch events go. */
export interface RequestEnv {
  readonly state: ServerState;
  /** Watch events a handler sends itself (setWatches on changed nodes), in order with the replies. */
  notify(deliveries: readonly Delivery[]): void;
}

/**
 * One client request as it flows through the pipeline (pipeline/index.ts).
 * Intake creates it; each later stage fills in its own fields and passes the
 * same record on, so nothing about a request is kept on the server between
 * stages. A stage that decides the answer early (an expired session, an
 * unknown op) calls {@link answer} and hands the record straight to the
 * reply stage.
 *
 * It is also what the handler sees ({@link RequestContext}), so a request
 * costs one allocation, not a record plus a context plus an answer: on a
 * pipelined read the server's work per request is small enough that each
 * object shows in its CPU per op. Every field is set in the constructor, so
 * all records share one hidden class and the stages' reads stay monomorphic.
 */
export class PipelineRequest implements RequestContext, RequestClient {
  // intake
  /** performance.now() when the request entered the pipeline, for latency. */
  started = 0;
  /** The live session; intake sets it before any later stage runs. */
  session: Session = undefined as unknown as Session;
  // decode
  op: AnyOp | undefined = undefined;
  handler: Handler<unknown> | undefined = undefined;
  req: unknown = undefined;
  // prepare (writes)
  txnHeader: TxnHeader | undefined = undefined;
  txn: Txn | undefined = undefined;
  // apply
  result: ApplyResult | undefined = undefined;
  // the answer, set by whichever stage decides it (see answer())
  answered = false;
  /** Reply header xid (the request's, except for pings and auth). */
  replyXid = 0;
  /** Reply header zxid. */
  replyZxid = 0n;
  err = 0;
  /** The zxid that must be durable before the reply may go out. */
  barrier = 0n;
  /**
   * Writes the reply body; set with a non-zero err only where ZooKeeper sends
   * a body with its error. A write's body is its handler's `respond` and needs
   * no closure: the reply stage calls it with {@link result}.
   */
  replyBody: ((w: JuteWriter) => void) | undefined = undefined;
  /** Close the connection once this reply is written. */
  close = false;
  /** The node a read answered with ({@link found}): the reply stage writes it with the handler's writeNode. */
  node: DataNode | undefined = undefined;

  constructor(
    private readonly env: RequestEnv,
    // network (connection.ts, via intake)
    readonly conn: ServerConnection,
    readonly xid: number,
    /** The op code of the request header (also the latency metrics' request type). */
    readonly type: number,
    /** The socket chunk the request arrived in; its undecoded body is bodyStart..bodyEnd of it. */
    readonly chunk: Buffer,
    readonly bodyStart: number,
    readonly bodyEnd: number,
  ) {}

  /** Sets what the reply stage sends. */
  answer(xid: number, zxid: bigint, err: number, barrier: bigint, body: ((w: JuteWriter) => void) | undefined, close: boolean): void {
    this.answered = true;
    this.replyXid = xid;
    this.replyZxid = zxid;
    this.err = err;
    this.barrier = barrier;
    this.replyBody = body;
    this.close = close;
  }

  // ---- RequestContext and RequestClient: the handler's view ----

  get state(): ServerState {
    return this.env.state;
  }

  get sessionId(): bigint {
    return this.session.id;
  }

  get authIds(): readonly AuthId[] {
    return this.conn.authIds;
  }

  get client(): RequestClient {
    return this;
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  addAuthIds(ids: readonly AuthId[]): void {
    // In ZooKeeper's set order, which whoAmI and `auth` ACL expansion show.
    this.conn.authIds = zooKeeperAuthOrder(mergeAuthIds(this.conn.authIds, ids));
  }

  notify(deliveries: readonly Delivery[]): void {
    this.env.notify(deliveries);
  }

  found(node: DataNode): ReadOutcome {
    this.node = node;
    return ok;
  }
}

/** A pipeline stage: takes a record, adds its part, passes it on. */
export interface Stage {
  process(r: PipelineRequest): void;
}
