import { ErrorCode } from '../../jute/error-codes.js';
import { Xid } from '../../jute/op-codes.js';
import type { AuthPacket } from '../../jute/ops/auth.js';
import type { Empty } from '../../jute/records/common.js';
import { authenticate } from '../acl.js';
import type { ReadHandler, ReadOutcome, RequestContext, WriteHandler } from './context.js';

/**
 * The session ops, ordinary entries of the handler table: ping, auth and
 * closeSession. (The handshake, ConnectRequest, is no request: it has no
 * header, and the session service answers it.)
 */

/** Keeps the session alive (intake touched it); answered with xid -2 and the last applied zxid. */
export const ping: ReadHandler<Empty> = {
  kind: 'read',
  handle(ctx) {
    return { err: 0, xid: Xid.ping, zxid: ctx.state.tree.lastZxid };
  },
};

/** Adds credentials to the connection; a failure (or an unreadable packet) is AUTHFAILED, then the connection closes. */
export const auth: ReadHandler<AuthPacket> = {
  kind: 'read',
  handle(ctx, packet) {
    const ids = authenticate(packet.scheme, packet.auth ?? Buffer.alloc(0), ctx.client.remoteAddress, ctx.state.settings.auth);
    if (!ids) return authFailed(ctx);
    ctx.client.addAuthIds(ids);
    return { err: 0, xid: Xid.auth, zxid: 0n };
  },
  malformed: authFailed,
};

function authFailed(ctx: RequestContext): ReadOutcome {
  ctx.state.metrics.authFailed++;
  return { err: ErrorCode.AUTHFAILED, xid: Xid.auth, zxid: 0n, close: true };
}

/** Ends the session: a closeSession txn deletes its ephemerals; the connection closes after the reply. */
export const closeSession: WriteHandler<Empty> = {
  kind: 'write',
  closesConnection: true,
  prepare(ctx) {
    ctx.session.closing = true;
    return { type: 'closeSession', sessionId: ctx.sessionId };
  },
  respond() {},
};
