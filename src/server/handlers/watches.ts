import { ErrorCode } from '../../jute/error-codes.js';
import type { SetWatches2Request, SetWatchesRequest } from '../../jute/ops/set-watches.js';
import type { AddWatchRequest, WatchesRequest } from '../../jute/ops/watch-ops.js';
import { isWatcherType, watchKindForAddWatchMode } from '../watch-manager.js';
import type { ReadHandler, RequestContext } from './context.js';

/**
 * Watch management: addWatch, checkWatches, removeWatches, and setWatches(2)
 * with which a reconnecting client re-registers its watches. The replay of
 * setWatches fires at once the events the client missed while away; those
 * events are returned to the pipeline as `replayed` on the context.
 */

export const addWatch: ReadHandler<AddWatchRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const kind = watchKindForAddWatchMode(req.mode);
    // ZooKeeper 3.8 fails to decode an unknown mode: MarshallingError.
    if (!kind) return { err: ErrorCode.MARSHALLINGERROR };
    ctx.state.watches.add(ctx.sessionId, req.path, kind);
    // The Java client reads a body on success: ErrorResponse{0}.
    return { err: 0, body: (w) => w.int(0) };
  },
};

export const checkWatches: ReadHandler<WatchesRequest> = {
  kind: 'read',
  handle(ctx, req) {
    if (!isWatcherType(req.type)) return { err: ErrorCode.MARSHALLINGERROR };
    // ZooKeeper walks the path's parents (PathParentIterator), which fails on a non-empty path
    // without '/'; the failure reaches the client as MarshallingError.
    if (req.path !== '' && !req.path.includes('/')) return { err: ErrorCode.MARSHALLINGERROR };
    return { err: ctx.state.watches.has(ctx.sessionId, req.path, req.type) ? 0 : ErrorCode.NOWATCHER };
  },
};

export const removeWatches: ReadHandler<WatchesRequest> = {
  kind: 'read',
  handle(ctx, req) {
    if (!isWatcherType(req.type)) return { err: ErrorCode.MARSHALLINGERROR };
    return { err: ctx.state.watches.remove(ctx.sessionId, req.path, req.type) ? 0 : ErrorCode.NOWATCHER };
  },
};

function replay(ctx: RequestContext, req: SetWatchesRequest | SetWatches2Request): void {
  const tree = ctx.state.tree;
  const deliveries = ctx.state.watches.replay(ctx.sessionId, req, (path) => tree.get(path));
  ctx.notify(deliveries);
}

export const setWatches: ReadHandler<SetWatchesRequest> = {
  kind: 'read',
  handle(ctx, req) {
    replay(ctx, req);
    return { err: 0 };
  },
};

export const setWatches2: ReadHandler<SetWatches2Request> = {
  kind: 'read',
  handle(ctx, req) {
    replay(ctx, req);
    return { err: 0 };
  },
};
