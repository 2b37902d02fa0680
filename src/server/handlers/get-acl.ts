import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { GetACLResponseCodec } from '../../jute/ops/acl-ops.js';
import type { PathRequest } from '../../jute/records/common.js';
import { checkACL, maskDigests } from '../acl.js';
import type { ReadHandler } from './context.js';

/** getACL: READ or ADMIN; without ADMIN the digest hashes are masked (ZooKeeper 3.8.4+). */
export const getACL: ReadHandler<PathRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const node = ctx.state.tree.get(req.path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!checkACL(node.acl, Perms.read | Perms.admin, ctx.authIds, ctx.state.settings.auth)) return { err: ErrorCode.NOAUTH };
    const acl = checkACL(node.acl, Perms.admin, ctx.authIds, ctx.state.settings.auth) ? node.acl : maskDigests(node.acl);
    const stat = node.stat();
    return { err: 0, body: (w) => GetACLResponseCodec.write(w, { acl, stat }) };
  },
};
