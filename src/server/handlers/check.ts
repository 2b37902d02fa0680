import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import type { CheckVersionRequest } from '../../jute/ops/check.js';
import { checkACL } from '../acl.js';
import type { ChangeView } from '../change-view.js';
import { invalidPathReason } from '../../base/path.js';
import type { Txn } from '../txn.js';
import { fail, type RequestContext } from './context.js';

/** check (inside multi only): READ on the node and an exact version match. */
export function prepareCheck(ctx: RequestContext, view: ChangeView, req: CheckVersionRequest): Txn {
  if (invalidPathReason(req.path) !== undefined) return fail(ErrorCode.BADARGUMENTS);
  const node = view.get(req.path);
  if (!node) return fail(ErrorCode.NONODE);
  if (!checkACL(node.acl, Perms.read, ctx.authIds, ctx.state.settings.auth)) return fail(ErrorCode.NOAUTH);
  if (req.version !== -1 && req.version !== node.version) return fail(ErrorCode.BADVERSION);
  return { type: 'check', path: req.path };
}
