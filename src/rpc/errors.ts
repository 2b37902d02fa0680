/**
 * Errors only the rpc layer throws (docs/conventions.md, section 1). Each
 * is a {@link HerdError} with a stable `code`. The outcomes every layer
 * shares come from src/errors.ts: {@link TimeoutError} when a call's
 * deadline passes or no instance appears in time, {@link CancelledError}
 * when the caller's signal aborts a call, {@link BadArgumentsError} for
 * options that cannot work, {@link InvalidStateError} for use after close.
 */
import { HerdError, type HerdErrorOptions } from '../errors.js';

/**
 * The peer broke the protocol: a frame that is malformed, truncated, too
 * large or nested too deep, a message of the wrong shape, or a handshake
 * with another protocol version. Code `PROTOCOL`. The connection it arrived
 * on is closed; other connections are not affected.
 */
export class ProtocolError extends HerdError {
  override name = 'ProtocolError';
  declare readonly code: 'PROTOCOL';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('PROTOCOL', message, options);
  }
}

/**
 * The connection to the serving process could not be opened, or was lost
 * while the call was in flight: the call may or may not have run there.
 * Code `CONNECTION_LOST`; `cause` is the socket's error, when there was one.
 */
export class RpcConnectionError extends HerdError {
  override name = 'RpcConnectionError';
  declare readonly code: 'CONNECTION_LOST';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('CONNECTION_LOST', message, options);
  }
}

/**
 * The method called is not exposed by the served object (deny by default:
 * only the names in `expose`, never `constructor`, `__proto__`,
 * `_`-prefixed names or `Object.prototype`'s). Code `NOT_EXPOSED`.
 */
export class NotExposedError extends HerdError {
  override name = 'NotExposedError';
  declare readonly code: 'NOT_EXPOSED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('NOT_EXPOSED', message, options);
  }
}

/**
 * What a serving method threw, rebuilt in the caller: `name` is the remote
 * error's class name (e.g. `TypeError`, `QuotaError`), `message` its
 * message, `code` its `code` (`REMOTE` when it had none), and `cause` an
 * Error whose `stack` is the remote stack.
 */
export class RemoteError extends HerdError {
  override name: string;
  constructor(name: string, code: string, message: string, options: HerdErrorOptions = {}) {
    super(code, message, options);
    this.name = name;
  }
}
