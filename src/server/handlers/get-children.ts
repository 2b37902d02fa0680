import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { GetChildren2ResponseCodec, GetChildrenResponseCodec } from '../../jute/ops/get-children.js';
import type { GetChildren2Response } from '../../jute/ops/get-children.js';
import type { PathRequest, PathWatchRequest } from '../../jute/records/common.js';
import { checkACL } from '../acl.js';
import type { ReadHandler, RequestContext } from './context.js';

/** getChildren, getChildren2 and getAllChildrenNumber: READ on the node; no watch is left on NoNode. */

export function readChildren(ctx: RequestContext, req: PathWatchRequest): GetChildren2Response | number {
  const node = ctx.state.tree.get(req.path);
  if (!node) return ErrorCode.NONODE;
  if (!checkACL(node.acl, Perms.read, ctx.authIds, ctx.state.settings.auth)) return ErrorCode.NOAUTH;
  if (req.watch) ctx.state.watches.add(ctx.sessionId, req.path, 'child');
  return { children: node.children ? [...node.children] : [], stat: node.stat() };
}

export const getChildren: ReadHandler<PathWatchRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const read = readChildren(ctx, req);
    if (typeof read === 'number') return { err: read };
    return { err: 0, body: (w) => GetChildrenResponseCodec.write(w, read) };
  },
};

export const getChildren2: ReadHandler<PathWatchRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const read = readChildren(ctx, req);
    if (typeof read === 'number') return { err: read };
    return { err: 0, body: (w) => GetChildren2ResponseCodec.write(w, read) };
  },
};

export const getAllChildrenNumber: ReadHandler<PathRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const node = ctx.state.tree.get(req.path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!checkACL(node.acl, Perms.read, ctx.authIds, ctx.state.settings.auth)) return { err: ErrorCode.NOAUTH };
    const totalNumber = ctx.state.tree.descendantCount(req.path);
    return { err: 0, body: (w) => w.int(totalNumber) };
  },
};
