import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import type { SetACLRequest } from '../../jute/ops/acl-ops.js';
import { checkACL, fixupACL } from '../acl.js';
import { changedRecord } from '../change-view.js';
import { invalidPathReason } from '../../base/path.js';
import { fail, type WriteHandler } from './context.js';

/** setACL: ACL fixup comes before the lookup, ADMIN before the aversion check. */
export const setACL: WriteHandler<SetACLRequest> = {
  kind: 'write',
  prepare(ctx, view, req) {
    if (invalidPathReason(req.path) !== undefined) return fail(ErrorCode.BADARGUMENTS);
    const fixed = fixupACL(req.acl, ctx.authIds, ctx.state.settings.auth);
    if (!fixed.ok) return fail(fixed.err);
    const node = view.get(req.path);
    if (!node) return fail(ErrorCode.NONODE);
    if (!checkACL(node.acl, Perms.admin, ctx.authIds, ctx.state.settings.auth)) return fail(ErrorCode.NOAUTH);
    if (req.version !== -1 && req.version !== node.aversion) return fail(ErrorCode.BADVERSION);
    const version = node.aversion + 1;
    if (view.recording) view.set(req.path, changedRecord(node, { acl: fixed.acl, aversion: version }));
    return { type: 'setACL', path: req.path, acl: fixed.acl, version };
  },
  respond(result, w) {
    if (result.type !== 'setACL') throw new TypeError(`setACL applied as ${result.type}`);
    result.stat.write(w);
  },
};
