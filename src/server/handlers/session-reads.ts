import { GetEphemeralsResponseCodec, type GetEphemeralsRequest } from '../../jute/ops/get-ephemerals.js';
import { WhoAmIResponseCodec } from '../../jute/ops/who-am-i.js';
import type { Empty, PathRequest } from '../../jute/records/common.js';
import type { AuthId } from '../acl.js';
import type { ReadHandler } from './context.js';

/** Reads about the caller's own session: its ephemerals, its identities, and sync. */

export const getEphemerals: ReadHandler<GetEphemeralsRequest> = {
  kind: 'read',
  handle(ctx, req) {
    const prefix = req.prefixPath.trim();
    const all = [...ctx.state.tree.ephemeralsOf(ctx.sessionId)];
    const ephemerals = prefix === '' || prefix === '/' ? all : all.filter((p) => p.startsWith(req.prefixPath));
    return { err: 0, body: (w) => GetEphemeralsResponseCodec.write(w, { ephemerals }) };
  },
};

export const whoAmI: ReadHandler<Empty> = {
  kind: 'read',
  handle(ctx) {
    // Every identity of the connection, ip included, named as ZooKeeper's providers name users.
    const clientInfo = ctx.authIds.map((id) => ({ authScheme: id.scheme, user: userName(id) }));
    return { err: 0, body: (w) => WhoAmIResponseCodec.write(w, { clientInfo }) };
  },
};

/** A standalone server is always caught up, so sync answers at once, in order with the session's writes. */
export const sync: ReadHandler<PathRequest> = {
  kind: 'read',
  handle(_ctx, req) {
    return { err: 0, body: (w) => w.ustring(req.path) };
  },
};

function userName(id: AuthId): string {
  if (id.scheme === 'digest') return id.id.split(':')[0] ?? '';
  if (id.scheme === 'super') return '';
  return id.id;
}
