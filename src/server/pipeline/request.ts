import type { AnyOp } from '../../jute/ops/index.js';
import type { JuteReader } from '../../jute/reader.js';
import type { JuteWriter } from '../../jute/writer.js';
import type { ServerConnection } from '../connection.js';
import type { ApplyResult } from '../data-tree.js';
import type { Handler, RequestContext } from '../handlers/context.js';
import type { Session } from '../session-tracker.js';
import type { Txn, TxnHeader } from '../txn.js';

/**
 * One client request as it flows through the pipeline (pipeline/index.ts).
 * The network stage creates it; each later stage fills in its own fields and
 * passes the same record on, so nothing about a request is kept on the server
 * between stages. A stage that decides the answer early (an expired session,
 * an unknown op) sets {@link answer} and hands the record straight to the
 * reply stage.
 *
 * Every field exists from the start (undefined until its stage sets it), so
 * all records share one shape and the stages' property reads stay monomorphic.
 */
export interface PipelineRequest {
  // network (connection.ts, via intake)
  readonly conn: ServerConnection;
  readonly xid: number;
  /** The op code of the request header (also the latency metrics' request type). */
  readonly type: number;
  /** The undecoded body: a view into the socket chunk it arrived in. */
  readonly body: JuteReader;
  /** performance.now() when the request entered the pipeline, for latency. */
  started: number;
  // intake
  session: Session | undefined;
  // decode
  op: AnyOp | undefined;
  handler: Handler<unknown> | undefined;
  req: unknown;
  /** What the handler sees of the request, its session and its connection. */
  ctx: RequestContext | undefined;
  // prepare (writes)
  txnHeader: TxnHeader | undefined;
  txn: Txn | undefined;
  // apply
  result: ApplyResult | undefined;
  // whichever stage decides it
  answer: Answer | undefined;
}

/** What the reply stage sends for a request. */
export interface Answer {
  /** Reply header xid (the request's, except for pings: -2). */
  readonly xid: number;
  /** Reply header zxid. */
  readonly zxid: bigint;
  readonly err: number;
  /** The zxid that must be durable before the reply may go out. */
  readonly barrier: bigint;
  /** Writes the reply body; set with a non-zero err only where ZooKeeper sends a body with its error. */
  readonly body?: ((w: JuteWriter) => void) | undefined;
  /** Close the connection once this reply is written. */
  readonly close?: boolean | undefined;
}

/** A pipeline stage: takes a record, adds its part, passes it on. */
export interface Stage {
  process(r: PipelineRequest): void;
}
