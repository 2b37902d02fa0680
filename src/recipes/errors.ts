/**
 * The one error only the recipes throw. Everything else they throw is a
 * root class of src/errors.ts: ZooKeeper failures keep their own classes
 * (NoNodeError, SessionExpiredError, ...), and the shared outcomes are
 * TimeoutError, CancelledError, ClientClosedError, InvalidStateError,
 * SessionLostError and BadArgumentsError (docs/conventions.md, section 1).
 */
import { HerdError, type HerdErrorOptions } from '../errors.js';

/**
 * A recipe's node holds data the recipe cannot use: a Counter whose node is
 * not a number, a SharedConfig that is not JSON (or that its `parse`
 * refused), a Semaphore path whose max leases differ from ours. Someone
 * else uses the path differently; retrying will not help.
 */
export class UnexpectedDataError extends HerdError {
  override name = 'UnexpectedDataError';
  declare readonly code: 'UNEXPECTED_DATA';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('UNEXPECTED_DATA', message, options);
  }
}
