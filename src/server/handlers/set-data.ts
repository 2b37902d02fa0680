import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import type { SetDataRequest } from '../../jute/ops/set-data.js';
import { checkACL } from '../acl.js';
import { changedRecord, type ChangeView } from '../change-view.js';
import { invalidPathReason } from '../../base/path.js';
import type { Txn } from '../txn.js';
import { fail, ownCopy, type RequestContext, type WriteHandler } from './context.js';

/** setData: WRITE on the node, then the version check. */
export function prepareSetData(ctx: RequestContext, view: ChangeView, req: SetDataRequest): Txn {
  if (invalidPathReason(req.path) !== undefined) return fail(ErrorCode.BADARGUMENTS);
  const node = view.get(req.path);
  if (!node) return fail(ErrorCode.NONODE);
  if (!checkACL(node.acl, Perms.write, ctx.authIds, ctx.state.settings.auth)) return fail(ErrorCode.NOAUTH);
  if (req.version !== -1 && req.version !== node.version) return fail(ErrorCode.BADVERSION);
  const version = node.version + 1;
  if (view.recording) view.set(req.path, changedRecord(node, { version }));
  return { type: 'setData', path: req.path, data: ownCopy(req.data), version };
}

export const setData: WriteHandler<SetDataRequest> = {
  kind: 'write',
  prepare: prepareSetData,
  respond(result, w) {
    if (result.type !== 'setData') throw new TypeError(`setData applied as ${result.type}`);
    result.stat.write(w);
  },
};
