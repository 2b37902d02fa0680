import { JuteDecodeError } from '../../jute/decode-error.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { JuteReader } from '../../jute/reader.js';
import { StringTable } from '../../jute/string-table.js';
import { opByCode, Ops, type AnyOp } from '../../jute/ops/index.js';
import type { Handler, ServerState } from '../handlers/context.js';
import { handlers } from '../handlers/index.js';
import type { Logger } from '../logger.js';
import { answerOf } from './prepare.js';
import type { PipelineRequest, Stage } from './request.js';

/** The paths (and other short strings) of requests, shared: clients ask for the same paths again and again. */
const PATHS = new StringTable();

/** Each op code with a handler: its op and handler, in one lookup. */
const ROUTES = new Map<number, { readonly op: AnyOp; readonly handler: Handler<unknown> }>();
for (const { code } of Object.values(Ops)) {
  const op = opByCode(code)!;
  const handler = handlers[op.name] as Handler<unknown> | undefined;
  if (handler !== undefined) ROUTES.set(code, { op, handler });
}

/**
 * Stage 2, decode.
 * Consumes: a record with its session (intake).
 * Adds: the op, its handler (from the one table, handlers/index.ts, session
 * ops included) and the decoded request body.
 * Passes on: to prepare. An op without a handler goes to reply as
 * UNIMPLEMENTED, a body that does not decode as MARSHALLINGERROR (or what
 * the handler's `malformed` says), and the connection closes after either.
 */
export class Decode implements Stage {
  /** Reads every body in turn (a decoded request keeps no reference to it); paths decode through {@link PATHS}. */
  private readonly reader = new JuteReader(Buffer.alloc(0));

  constructor(
    private readonly log: Logger,
    private readonly state: ServerState,
    private readonly next: Stage,
    private readonly reply: Stage,
  ) {
    this.reader.strings = PATHS;
  }

  process(r: PipelineRequest): void {
    const route = ROUTES.get(r.type);
    if (route === undefined) {
      this.log.warn({ client: r.conn.describe(), type: r.type }, 'unknown request type, closing connection');
      // ZooKeeper answers an unknown type outside the pipeline, with no zxid (-1).
      r.answer(r.xid, -1n, ErrorCode.UNIMPLEMENTED, -1n, undefined, true);
      this.reply.process(r);
      return;
    }
    const { op, handler } = route;
    r.op = op;
    r.handler = handler;
    try {
      r.req = op.request.read(this.reader.reset(r.chunk, r.bodyStart, r.bodyEnd));
    } catch (err) {
      if (!(err instanceof JuteDecodeError)) throw err;
      if (handler.malformed) answerOf(r, handler.malformed(r), this.state.tree.lastZxid);
      else this.marshallingError(r, err);
      this.reply.process(r);
      return;
    }
    this.next.process(r);
  }

  private marshallingError(r: PipelineRequest, err: JuteDecodeError): void {
    this.log.warn({ client: r.conn.describe(), op: r.op?.name, reason: err.message }, 'malformed request, closing connection');
    const zxid = this.state.tree.lastZxid;
    r.answer(r.xid, zxid, ErrorCode.MARSHALLINGERROR, zxid, undefined, true);
  }
}
