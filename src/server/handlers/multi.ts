import { CreateMode } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { OpCode } from '../../jute/op-codes.js';
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

/**
 * multi: all or nothing. Ops are prepared in order against one view, so
 * later ops see earlier ones. When one fails, nothing is applied and every
 * result is an error: 0 for the ops before it, its own code, and
 * RUNTIMEINCONSISTENCY for the ops after it (ZooKeeper's layout).
 */

/**
 * Inside multi, ZooKeeper turns a create or create2 with the container mode
 * into createContainer (Op.create picks the opcode from the mode), so the
 * node is a container and its result a create2 one.
 */
function multiCreateOpCode(op: MultiRequest['ops'][number]): number {
  if ((op.type === 'create' || op.type === 'create2') && op.request.flags === CreateMode.container) return OpCode.createContainer;
  return OpCode[op.type];
}

function prepareOp(ctx: RequestContext, view: ChangeView, op: MultiRequest['ops'][number]): Txn {
  switch (op.type) {
    case 'create':
    case 'create2':
    case 'createContainer':
    case 'createTTL':
      return prepareCreate(ctx, view, op.request, multiCreateOpCode(op));
    case 'delete':
      return prepareDelete(ctx, view, op.request);
    case 'setData':
      return prepareSetData(ctx, view, op.request);
    case 'check':
      return prepareCheck(ctx, view, op.request);
    case 'getData':
    case 'getChildren':
      // Reads cannot take part in a transaction.
      return { type: 'error', err: ErrorCode.BADARGUMENTS };
  }
}

/** The result type the client expects for each op (create2-style ops all answer as create2). */
const RESULT_TYPE = {
  create: 'create',
  create2: 'create2',
  createContainer: 'create2',
  createTTL: 'create2',
  delete: 'delete',
  setData: 'setData',
  check: 'check',
  getData: 'getData',
  getChildren: 'getChildren',
} as const;

function toResult(type: (typeof RESULT_TYPE)[keyof typeof RESULT_TYPE], applied: ApplyResult): MultiResult {
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
    const txns: Txn[] = [];
    let failedAt = -1;
    for (const op of req.ops) {
      if (failedAt >= 0) {
        txns.push({ type: 'error', err: ErrorCode.RUNTIMEINCONSISTENCY });
        continue;
      }
      const txn = prepareOp(ctx, view, op);
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
    const results = result.results.map((r, i) => {
      const op = req.ops[i]!;
      return toResult(multiCreateOpCode(op) === OpCode.createContainer ? 'create2' : RESULT_TYPE[op.type], r);
    });
    MultiResponseCodec.write(w, { results });
  },
};

/** multiRead: independent reads; a failing one becomes an error result, the rest still run. */
export const multiRead: ReadHandler<MultiRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const results: MultiResult[] = req.ops.map((op): MultiResult => {
      if (op.type !== 'getData' && op.type !== 'getChildren') return { type: 'error', err: ErrorCode.BADARGUMENTS };
      if (op.type === 'getData') {
        const read = readData(ctx, op.request);
        return typeof read === 'number' ? { type: 'error', err: read } : { type: 'getData', response: read };
      }
      const read = readChildren(ctx, op.request);
      return typeof read === 'number'
        ? { type: 'error', err: read }
        : { type: 'getChildren', response: { children: read.children } };
    });
    return { err: 0, body: (w) => MultiResponseCodec.write(w, { results }) };
  },
};
