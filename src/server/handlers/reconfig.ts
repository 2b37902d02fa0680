import { ErrorCode } from '../../jute/error-codes.js';
import type { ReconfigRequest } from '../../jute/ops/reconfig.js';
import { fail, type WriteHandler } from './context.js';

/**
 * reconfig: a standalone ZooKeeper 3.8 (reconfigEnabled=false) answers
 * ReconfigDisabled from the prepare step, so, like any failed write, it uses
 * up a zxid, and the session stays open.
 */
export const reconfig: WriteHandler<ReconfigRequest> = {
  kind: 'write',
  prepare() {
    return fail(ErrorCode.RECONFIGDISABLED);
  },
  respond(result) {
    throw new TypeError(`reconfig applied as ${result.type}`);
  },
};
