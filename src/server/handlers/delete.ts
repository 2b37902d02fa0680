import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import type { DeleteRequest } from '../../jute/ops/delete.js';
import { checkACL } from '../acl.js';
import { changedRecord, type ChangeView } from '../change-view.js';
import { parentPath } from '../data-tree.js';
import { parentForDelete } from '../path.js';
import type { Txn } from '../txn.js';
import { fail, type RequestContext, type WriteHandler } from './context.js';

/**
 * delete. ZooKeeper validates little here: the path needs a '/', no NUL and
 * must not be one of the built-in nodes; anything else malformed simply is
 * not found. DELETE is checked on the parent, before the node's own lookup.
 */
export function prepareDelete(ctx: RequestContext, view: ChangeView, req: DeleteRequest): Txn {
  const { path } = req;
  if (parentForDelete(path) === null) return fail(ErrorCode.BADARGUMENTS);
  const parentKey = parentPath(path);
  const parent = view.get(parentKey);
  if (!parent) return fail(ErrorCode.NONODE);
  if (!checkACL(parent.acl, Perms.delete, ctx.authIds, ctx.state.settings.auth)) return fail(ErrorCode.NOAUTH);
  const node = view.get(path);
  if (!node) return fail(ErrorCode.NONODE);
  if (req.version !== -1 && req.version !== node.version) return fail(ErrorCode.BADVERSION);
  if (node.numChildren > 0) return fail(ErrorCode.NOTEMPTY);
  if (view.recording) {
    view.set(parentKey, changedRecord(parent, { numChildren: parent.numChildren - 1 }));
    view.set(path, null);
  }
  return { type: 'delete', path };
}

export const del: WriteHandler<DeleteRequest> = {
  kind: 'write',
  prepare: prepareDelete,
  respond() {},
};
