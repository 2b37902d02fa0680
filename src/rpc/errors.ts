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

/**
 * The two peers could not establish trust, so nothing was called: a wrong
 * or missing shared `secret`, a TLS certificate refused (by either side:
 * unknown CA, expired, missing client certificate, wrong host name), or a
 * caller whose security options do not match what the instance's registry
 * entry asks for (TLS, a secret). Code `AUTHENTICATION`. Not retried on
 * another instance: the caller's configuration has to change.
 */
export class AuthenticationError extends HerdError {
  override name = 'AuthenticationError';
  declare readonly code: 'AUTHENTICATION';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('AUTHENTICATION', message, options);
  }
}

/** One problem a schema found, as {@link ValidationError} carries it. */
export interface ValidationIssue {
  /** What is wrong, as the schema library words it. */
  readonly message: string;
  /** Where, from the root of the value validated: for arguments, the argument's index first (`[1, 'name']`). Absent for the whole value. */
  readonly path?: readonly (string | number)[];
}

/**
 * A value failed the Standard Schema given for it in serve's `schemas`:
 * the arguments of a call (the method did not run) or, when a `result`
 * schema is given, the value it returned. Code `VALIDATION`; `issues`
 * lists what the schema found. It reaches the caller as this class.
 */
export class ValidationError extends HerdError {
  override name = 'ValidationError';
  declare readonly code: 'VALIDATION';
  /** What the schema found, at least one. */
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[], options: HerdErrorOptions = {}) {
    super('VALIDATION', message, options);
    this.issues = issues;
  }
}
