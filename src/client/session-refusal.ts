import { AuthFailedError, ClientClosedError, HerdError, SessionExpiredError } from '../errors.js';
import { requestContext, type PendingRequest } from './pending-requests.js';
import type { ClientState } from './state.js';

/**
 * Why the session refuses a new request (or addAuth) now, if it does: the
 * client is closed or closing (ClientClosedError), the session expired
 * (SessionExpiredError) or its credentials were refused (AuthFailedError).
 * Any other state accepts it: a request made while disconnected waits for
 * the next connection. `closing` is whether close() was called (the state
 * stays as it is until the session is shut down).
 */
export function refusalOf(state: ClientState, closing: boolean, request: Pick<PendingRequest, 'opName' | 'path'>): HerdError | undefined {
  // Checked on every request: no allocation unless it is refused.
  if (!closing && state !== 'closed' && state !== 'expired' && state !== 'authFailed') return undefined;
  const ctx = requestContext(request);
  if (closing || state === 'closed') return closedError(ctx);
  if (state === 'expired') return new SessionExpiredError(undefined, ctx);
  return new AuthFailedError(undefined, ctx);
}

/** The ClientClosedError of a call on a closed client, naming the op and path when known. */
export function closedError(ctx: { op?: string; path?: string } = {}): HerdError {
  const where = ctx.op === undefined ? '' : ctx.path === undefined ? `${ctx.op}: ` : `${ctx.op} ${ctx.path}: `;
  return new ClientClosedError(`${where}the client is closed`, ctx);
}
