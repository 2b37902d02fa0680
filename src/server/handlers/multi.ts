import { CreateMode } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { OpCode } from '../../jute/op-codes.js';
import type { CreateTTLRequest } from '../../jute/ops/create-ttl.js';
import { MultiResponseCodec, type MultiRequest, type MultiResult } from '../../jute/ops/multi.js';
import type { ApplyResult } from '../data-tree.js';
import type { Txn } from '../txn.js';
import { prepareCheck } from './check.js';
import type { ReadHandler, RequestContext, WriteHandler } from './context.js';
import { prepareCreate } from './create.js';
import { prepareDelete } from './delete.js';
import { readChildren } from './get-children.js';
import { readData } from './get-data.js';
import { prepareSetData } from './set-data.js';
import type { ChangeView } from '../change-view.js';
import type { PathWatchRequest } from '../../jute/records/common.js';

/**
 * multi: all or nothing. Ops are prepared in order against one view, so
 * later ops see earlier ones. When one fails, nothing is applied and every
 * result is an error: 0 for the ops before it, its own code, and
 * RUNTIMEINCONSISTENCY for the ops after it (ZooKeeper's layout).
 */

type MultiOp = MultiRequest['ops'][number];
type CreateSubOp = Extract<MultiOp, { type: 'create' | 'create2' | 'createContainer' | 'createTTL' }>;
type ResultType = 'create' | 'create2' | 'delete' | 'setData' | 'check' | 'getData' | 'getChildren';

/** A create sub-op as ZooKeeper rebuilds it from its create mode: the opcode prepared and the result it answers with. */
interface RebuiltCreate {
  opCode: number;
  request: CreateTTLRequest;
  result: ResultType;
}

const isTtlMode = (flags: number) => flags === CreateMode.persistentWithTTL || flags === CreateMode.persistentSequentialWithTTL;
const isKnownMode = (flags: number) => flags >= CreateMode.persistent && flags <= CreateMode.persistentSequentialWithTTL;

/**
 * ZooKeeper 3.8.4+ (MultiOperationRecord.deserialize, then Op.create) does
 * not keep a create sub-op's opcode: it rebuilds the op from its create mode.
 * - create, create2, createContainer: a mode that is no CreateMode fails the
 *   decoding of the whole multi (null here: the caller answers
 *   MarshallingError); a TTL mode becomes a createTTL without a ttl (-1, so
 *   BadArguments, or Unimplemented without extended types); the container
 *   mode becomes createContainer; any other mode keeps the opcode.
 * - createTTL: only a TTL mode keeps it; the container mode becomes
 *   createContainer, and any other mode (unknown ones included, which then
 *   fail with BadArguments) a plain create: the ttl is dropped whatever it is.
 * A create answers without a Stat; create2, createContainer and createTTL with one.
 */
function rebuildCreate(op: CreateSubOp): RebuiltCreate | null {
  const { flags } = op.request;
  const ttl = op.type === 'createTTL' ? op.request.ttl : -1;
  if (op.type !== 'createTTL' && !isKnownMode(flags)) return null;
  if (isTtlMode(flags)) return { opCode: OpCode.createTTL, request: { ...op.request, ttl }, result: 'create2' };
  if (flags === CreateMode.container) return { opCode: OpCode.createContainer, request: { ...op.request, ttl: -1 }, result: 'create2' };
  const type = op.type === 'createTTL' ? 'create' : op.type;
  return { opCode: OpCode[type], request: { ...op.request, ttl: -1 }, result: type === 'create' ? 'create' : 'create2' };
}

const isRead = (op: MultiOp): op is ReadSubOp => op.type === 'getData' || op.type === 'getChildren';

const isCreate = (op: MultiOp): op is CreateSubOp =>
  op.type === 'create' || op.type === 'create2' || op.type === 'createContainer' || op.type === 'createTTL';

/** Each op's rebuilt create (undefined for other ops), or null when the multi as a whole cannot be decoded. */
function rebuildCreates(ops: readonly MultiOp[]): (RebuiltCreate | undefined)[] | null {
  const rebuilt: (RebuiltCreate | undefined)[] = [];
  for (const op of ops) {
    if (!isCreate(op)) {
      rebuilt.push(undefined);
      continue;
    }
    const r = rebuildCreate(op);
    if (r === null) return null;
    rebuilt.push(r);
  }
  return rebuilt;
}

type WriteSubOp = Extract<MultiOp, { type: 'delete' | 'setData' | 'check' }>;
type ReadSubOp = Extract<MultiOp, { type: 'getData' | 'getChildren' }>;

/** How each write sub-op other than a create is prepared: the handler of the same op. */
const PREPARE: { [K in WriteSubOp['type']]: (ctx: RequestContext, view: ChangeView, req: Extract<WriteSubOp, { type: K }>['request']) => Txn } = {
  delete: prepareDelete,
  setData: prepareSetData,
  check: prepareCheck,
};

/** How each read of a multiRead is answered: the read of the handler of the same op, its result, or an error code. */
const READ: { [K in ReadSubOp['type']]: (ctx: RequestContext, req: PathWatchRequest) => MultiResult } = {
  getData: (ctx, req) => {
    const read = readData(ctx, req);
    return typeof read === 'number' ? { type: 'error', err: read } : { type: 'getData', response: read };
  },
  getChildren: (ctx, req) => {
    const read = readChildren(ctx, req);
    return typeof read === 'number' ? { type: 'error', err: read } : { type: 'getChildren', response: { children: read.children } };
  },
};

function prepareOp(ctx: RequestContext, view: ChangeView, op: MultiOp, create: RebuiltCreate | undefined): Txn {
  if (create) return prepareCreate(ctx, view, create.request, create.opCode);
  if (isCreate(op) || isRead(op)) {
    // Never reached: prepare refuses a multi with reads, and every create is rebuilt.
    return { type: 'error', err: ErrorCode.MARSHALLINGERROR };
  }
  return (PREPARE[op.type] as (ctx: RequestContext, view: ChangeView, req: WriteSubOp['request']) => Txn)(ctx, view, op.request);
}

function resultType(op: MultiOp, create: RebuiltCreate | undefined): ResultType {
  if (create) return create.result;
  if (isCreate(op)) throw new TypeError(`multi ${op.type} sub-op without its rebuilt form`);
  return op.type;
}

function toResult(type: ResultType, applied: ApplyResult): MultiResult {
  if (applied.type === 'error') return { type: 'error', err: applied.err };
  if (type === 'create' && applied.type === 'create') return { type: 'create', response: { path: applied.path } };
  if (type === 'create2' && applied.type === 'create') {
    return { type: 'create2', response: { path: applied.path, stat: applied.stat } };
  }
  if (type === 'setData' && applied.type === 'setData') return { type: 'setData', response: applied.stat };
  if (type === 'delete' || type === 'check') return { type };
  throw new TypeError(`multi op ${type} applied as ${applied.type}`);
}

export const multi: WriteHandler<MultiRequest> = {
  kind: 'write',
  prepare(ctx, view, req) {
    const creates = rebuildCreates(req.ops);
    // ZooKeeper fails to decode (or to prepare) such a multi: no op runs, the reply is MarshallingError
    // (a zxid used, the connection kept). Reads are refused whether mixed with writes (MultiOperationRecord:
    // "Mixing different kind of ops") or alone (a multi of reads is multiRead's job).
    if (creates === null || req.ops.some(isRead)) return { type: 'error', err: ErrorCode.MARSHALLINGERROR };
    // Later ops see what earlier ones changed.
    view.record();
    const txns: Txn[] = [];
    let failedAt = -1;
    for (const [i, op] of req.ops.entries()) {
      if (failedAt >= 0) {
        txns.push({ type: 'error', err: ErrorCode.RUNTIMEINCONSISTENCY });
        continue;
      }
      const txn = prepareOp(ctx, view, op, creates[i]);
      if (txn.type === 'error') failedAt = txns.length;
      txns.push(txn);
    }
    if (failedAt >= 0) {
      for (let i = 0; i < failedAt; i++) txns[i] = { type: 'error', err: ErrorCode.OK };
    }
    return { type: 'multi', txns };
  },
  respond(result, w, req) {
    if (result.type !== 'multi') throw new TypeError(`multi applied as ${result.type}`);
    const creates = rebuildCreates(req.ops);
    const results = result.results.map((r, i) => toResult(resultType(req.ops[i]!, creates?.[i]), r));
    MultiResponseCodec.write(w, { results });
  },
};

/**
 * multiRead: independent reads; a failing one becomes an error result, the rest still run.
 * Writes make it MarshallingError, as in ZooKeeper: mixed with reads (or not decodable) the
 * request is not decoded, so no body; writes alone are decoded, and the first fails the loop
 * that answers reads after an empty MultiResponse was started, which is sent with the error.
 */
export const multiRead: ReadHandler<MultiRequest> = {
  kind: 'read',
  handle(ctx, req) {
    if (!req.ops.every(isRead)) {
      if (req.ops.some(isRead) || rebuildCreates(req.ops) === null) return { err: ErrorCode.MARSHALLINGERROR };
      return { err: ErrorCode.MARSHALLINGERROR, body: (w) => MultiResponseCodec.write(w, { results: [] }) };
    }
    const results: MultiResult[] = req.ops.map((op): MultiResult => {
      if (op.type !== 'getData' && op.type !== 'getChildren') throw new TypeError(`multiRead ${op.type}`);
      return READ[op.type](ctx, op.request);
    });
    return { err: 0, body: (w) => MultiResponseCodec.write(w, { results }) };
  },
};
