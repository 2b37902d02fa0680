import { Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import type { GetDataResponse } from '../../jute/ops/get-data.js';
import type { PathWatchRequest } from '../../jute/records/common.js';
import { checkACL } from '../acl.js';
import type { DataNode } from '../data-node.js';
import type { ReadHandler, RequestContext } from './context.js';

/**
 * getData and exists. Reads do not validate paths (a malformed path is just
 * not found), except that exists rejects NUL. exists leaves a watch even on a
 * missing node (to see it created); getData leaves none on NoNode.
 */

function readableNode(ctx: RequestContext, req: PathWatchRequest): DataNode | number {
  const node = ctx.state.tree.get(req.path);
  if (!node) return ErrorCode.NONODE;
  if (!checkACL(node.acl, Perms.read, ctx.authIds, ctx.state.settings.auth)) return ErrorCode.NOAUTH;
  if (req.watch) ctx.state.watches.add(ctx.sessionId, req.path, 'data');
  return node;
}

export function readData(ctx: RequestContext, req: PathWatchRequest): GetDataResponse | number {
  const node = readableNode(ctx, req);
  return typeof node === 'number' ? node : { data: node.data, stat: node.stat() };
}

export const getData: ReadHandler<PathWatchRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const node = readableNode(ctx, req);
    return typeof node === 'number' ? { err: node } : ctx.found(node);
  },
  writeNode(w, node) {
    node.writeData(w);
    node.writeStat(w);
  },
};

export const exists: ReadHandler<PathWatchRequest> = {
  kind: 'read',
  handle(ctx, req) {
    if (req.path.includes('\0')) return { err: ErrorCode.BADARGUMENTS };
    const node = ctx.state.tree.get(req.path);
    // Since 3.8.4 exists needs READ on a node that is there, so it cannot be used to probe protected data.
    if (node && !checkACL(node.acl, Perms.read, ctx.authIds, ctx.state.settings.auth)) return { err: ErrorCode.NOAUTH };
    if (req.watch) ctx.state.watches.add(ctx.sessionId, req.path, node ? 'data' : 'exist');
    if (!node) return { err: ErrorCode.NONODE };
    return ctx.found(node);
  },
  writeNode(w, node) {
    node.writeStat(w);
  },
};
