import { JuteDecodeError } from '../../jute/decode-error.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { opByCode } from '../../jute/ops/index.js';
import type { AuthId } from '../acl.js';
import { mergeAuthIds, zooKeeperAuthOrder } from '../acl.js';
import type { ServerConnection } from '../connection.js';
import type { Handler, RequestClient, RequestContext, ServerState } from '../handlers/context.js';
import type { Session } from '../session-tracker.js';
import type { Delivery } from '../watch-manager.js';
import { handlers } from '../handlers/index.js';
import type { Logger } from '../logger.js';
import { answerOf } from './prepare.js';
import type { PipelineRequest, Stage } from './request.js';

/**
 * Stage 2, decode.
 * Consumes: a record with its session (intake).
 * Adds: the op, its handler (from the one table, handlers/index.ts, session
 * ops included), the decoded request body and the handler's context.
 * Passes on: to prepare. An op without a handler goes to reply as
 * UNIMPLEMENTED, a body that does not decode as MARSHALLINGERROR (or what
 * the handler's `malformed` says), and the connection closes after either.
 */
export class Decode implements Stage {
  constructor(
    private readonly log: Logger,
    private readonly state: ServerState,
    /** Watch events a handler sends itself (setWatches on changed nodes), in order with the replies. */
    private readonly notify: (deliveries: readonly Delivery[]) => void,
    private readonly next: Stage,
    private readonly reply: Stage,
  ) {}

  process(r: PipelineRequest): void {
    const op = opByCode(r.type);
    const handler = op ? (handlers[op.name] as Handler<unknown> | undefined) : undefined;
    if (!op || !handler) {
      this.log.warn({ client: r.conn.describe(), type: r.type }, 'unknown request type, closing connection');
      // ZooKeeper answers an unknown type outside the pipeline, with no zxid (-1).
      r.answer = { xid: r.xid, zxid: -1n, err: ErrorCode.UNIMPLEMENTED, barrier: -1n, body: undefined, close: true };
      this.reply.process(r);
      return;
    }
    r.op = op;
    r.handler = handler;
    r.ctx = new HandlerContext(this.state, r.session!, r.conn, this.notify);
    try {
      r.req = op.request.read(r.body);
    } catch (err) {
      if (!(err instanceof JuteDecodeError)) throw err;
      r.answer = handler.malformed ? answerOf(r, handler.malformed(r.ctx), this.state.tree.lastZxid) : this.marshallingError(r, err);
      this.reply.process(r);
      return;
    }
    this.next.process(r);
  }

  private marshallingError(r: PipelineRequest, err: JuteDecodeError): PipelineRequest['answer'] {
    this.log.warn({ client: r.conn.describe(), op: r.op?.name, reason: err.message }, 'malformed request, closing connection');
    const zxid = this.state.tree.lastZxid;
    return { xid: r.xid, zxid, err: ErrorCode.MARSHALLINGERROR, barrier: zxid, body: undefined, close: true };
  }
}

/** A request's view for its handler: the server state, its session and its connection. */
class HandlerContext implements RequestContext, RequestClient {
  constructor(
    readonly state: ServerState,
    readonly session: Session,
    private readonly conn: ServerConnection,
    readonly notify: (deliveries: readonly Delivery[]) => void,
  ) {}

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
}
