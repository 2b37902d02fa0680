/**
 * Every error Herd throws (docs/conventions.md, section 1):
 *
 * - {@link HerdError}: the root, with a stable string `code`.
 * - {@link ZooKeeperError}: a ZooKeeper error code (`NONODE`, ...), one
 *   subclass per code, built from a reply by {@link errorFromCode}.
 * - The outcomes every layer shares: {@link TimeoutError},
 *   {@link CancelledError}, {@link ClientClosedError}, {@link InvalidStateError},
 *   {@link SessionLostError}.
 *
 * An error only one layer throws lives in that layer's `errors.ts`.
 */
import { ErrorCode, errorCodeName, type ErrorCodeName } from './jute/error-codes.js';

/** Where an error came from: the op and path it concerns, when known. */
export interface ErrorContext {
  path?: string;
  op?: string;
}

/** What a {@link HerdError} is built with: the standard `cause`, and where it happened. */
export interface HerdErrorOptions extends ErrorContext {
  cause?: unknown;
}

/**
 * Base of every error Herd throws: `instanceof HerdError` catches anything
 * from Herd, and `code` (a stable UPPER_SNAKE string) says what happened.
 */
export class HerdError extends Error {
  override name = 'HerdError';
  readonly code: string;
  /** The znode path the failure concerns, when known. */
  readonly path?: string;
  /** The operation that failed, when known. */
  readonly op?: string;

  constructor(code: string, message: string, options: HerdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.path !== undefined) this.path = options.path;
    if (options.op !== undefined) this.op = options.op;
  }
}

/**
 * A ZooKeeper error code, from a server's reply or from the client's own
 * checks of the same rule. `code` is the code's name (`NONODE`,
 * `BADVERSION`, ...) and `errno` its number on the wire.
 */
export class ZooKeeperError extends HerdError {
  override name = 'ZooKeeperError';
  declare readonly code: ErrorCodeName;
  readonly errno: number;

  constructor(code: ErrorCodeName, message?: string, context: HerdErrorOptions = {}) {
    const where = [context.op, context.path].filter(Boolean).join(' ');
    super(code, message ?? (where ? `${code}: ${where}` : code), context);
    this.errno = ErrorCode[code];
  }
}

/** A wait (lock, barrier, leadership, queue, lease, ...) did not finish within its `timeout`. */
export class TimeoutError extends HerdError {
  override name = 'TimeoutError';
  declare readonly code: 'TIMEOUT';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('TIMEOUT', message, options);
  }
}

/** A wait was cancelled: its AbortSignal fired (`cause` is the signal's reason) or it was cancelled by its owner. */
export class CancelledError extends HerdError {
  override name = 'CancelledError';
  declare readonly code: 'CANCELLED';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('CANCELLED', message, options);
  }
}

/** The client was closed by its owner: its requests and waits end with this, not with a session error. */
export class ClientClosedError extends HerdError {
  override name = 'ClientClosedError';
  declare readonly code: 'CLIENT_CLOSED';
  constructor(message = 'the client is closed', options: HerdErrorOptions = {}) {
    super('CLIENT_CLOSED', message, options);
  }
}

/**
 * A call that the object's state does not allow: acquiring a lock this
 * object already holds, starting what is started, using what is closed.
 * A bug in the caller, not a condition to retry.
 */
export class InvalidStateError extends HerdError {
  override name = 'InvalidStateError';
  declare readonly code: 'INVALID_STATE';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('INVALID_STATE', message, options);
  }
}

/**
 * Something held (a lock, lease, leadership, membership) can no longer be
 * trusted: the session expired, the client closed, the connection stayed
 * lost past the session timeout, or the node was deleted by someone else.
 * It is the reason of a holder's `lost` AbortSignal.
 */
export class SessionLostError extends HerdError {
  override name = 'SessionLostError';
  declare readonly code: 'SESSION_LOST';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('SESSION_LOST', message, options);
  }
}

type ZooKeeperErrorClass = new (message?: string, context?: HerdErrorOptions) => ZooKeeperError;

/** ZooKeeper error SYSTEMERROR. */
export class SystemError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('SYSTEMERROR', message, context);
    this.name = 'SystemError';
  }
}

/** ZooKeeper error RUNTIMEINCONSISTENCY. */
export class RuntimeInconsistencyError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('RUNTIMEINCONSISTENCY', message, context);
    this.name = 'RuntimeInconsistencyError';
  }
}

/** ZooKeeper error DATAINCONSISTENCY. */
export class DataInconsistencyError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('DATAINCONSISTENCY', message, context);
    this.name = 'DataInconsistencyError';
  }
}

/** ZooKeeper error CONNECTIONLOSS. */
export class ConnectionLossError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('CONNECTIONLOSS', message, context);
    this.name = 'ConnectionLossError';
  }
}

/** ZooKeeper error MARSHALLINGERROR. */
export class MarshallingError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('MARSHALLINGERROR', message, context);
    this.name = 'MarshallingError';
  }
}

/** ZooKeeper error UNIMPLEMENTED. */
export class UnimplementedError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('UNIMPLEMENTED', message, context);
    this.name = 'UnimplementedError';
  }
}

/** ZooKeeper error OPERATIONTIMEOUT. */
export class OperationTimeoutError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('OPERATIONTIMEOUT', message, context);
    this.name = 'OperationTimeoutError';
  }
}

/** ZooKeeper error BADARGUMENTS. */
export class BadArgumentsError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('BADARGUMENTS', message, context);
    this.name = 'BadArgumentsError';
  }
}

/** ZooKeeper error UNKNOWNSESSION. */
export class UnknownSessionError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('UNKNOWNSESSION', message, context);
    this.name = 'UnknownSessionError';
  }
}

/** ZooKeeper error NEWCONFIGNOQUORUM. */
export class NewConfigNoQuorumError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NEWCONFIGNOQUORUM', message, context);
    this.name = 'NewConfigNoQuorumError';
  }
}

/** ZooKeeper error RECONFIGINPROGRESS. */
export class ReconfigInProgressError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('RECONFIGINPROGRESS', message, context);
    this.name = 'ReconfigInProgressError';
  }
}

/** ZooKeeper error APIERROR. */
export class APIError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('APIERROR', message, context);
    this.name = 'APIError';
  }
}

/** ZooKeeper error NONODE. */
export class NoNodeError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NONODE', message, context);
    this.name = 'NoNodeError';
  }
}

/** ZooKeeper error NOAUTH. */
export class NoAuthError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NOAUTH', message, context);
    this.name = 'NoAuthError';
  }
}

/** ZooKeeper error BADVERSION. */
export class BadVersionError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('BADVERSION', message, context);
    this.name = 'BadVersionError';
  }
}

/** ZooKeeper error NOCHILDRENFOREPHEMERALS. */
export class NoChildrenForEphemeralsError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NOCHILDRENFOREPHEMERALS', message, context);
    this.name = 'NoChildrenForEphemeralsError';
  }
}

/** ZooKeeper error NODEEXISTS. */
export class NodeExistsError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NODEEXISTS', message, context);
    this.name = 'NodeExistsError';
  }
}

/** ZooKeeper error NOTEMPTY. */
export class NotEmptyError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NOTEMPTY', message, context);
    this.name = 'NotEmptyError';
  }
}

/** ZooKeeper error SESSIONEXPIRED. */
export class SessionExpiredError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('SESSIONEXPIRED', message, context);
    this.name = 'SessionExpiredError';
  }
}

/** ZooKeeper error INVALIDCALLBACK. */
export class InvalidCallbackError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('INVALIDCALLBACK', message, context);
    this.name = 'InvalidCallbackError';
  }
}

/** ZooKeeper error INVALIDACL. */
export class InvalidACLError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('INVALIDACL', message, context);
    this.name = 'InvalidACLError';
  }
}

/** ZooKeeper error AUTHFAILED. */
export class AuthFailedError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('AUTHFAILED', message, context);
    this.name = 'AuthFailedError';
  }
}

/** ZooKeeper error SESSIONMOVED. */
export class SessionMovedError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('SESSIONMOVED', message, context);
    this.name = 'SessionMovedError';
  }
}

/** ZooKeeper error NOTREADONLY. */
export class NotReadOnlyError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NOTREADONLY', message, context);
    this.name = 'NotReadOnlyError';
  }
}

/** ZooKeeper error EPHEMERALONLOCALSESSION. */
export class EphemeralOnLocalSessionError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('EPHEMERALONLOCALSESSION', message, context);
    this.name = 'EphemeralOnLocalSessionError';
  }
}

/** ZooKeeper error NOWATCHER. */
export class NoWatcherError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('NOWATCHER', message, context);
    this.name = 'NoWatcherError';
  }
}

/** ZooKeeper error REQUESTTIMEOUT. */
export class RequestTimeoutError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('REQUESTTIMEOUT', message, context);
    this.name = 'RequestTimeoutError';
  }
}

/** ZooKeeper error RECONFIGDISABLED. */
export class ReconfigDisabledError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('RECONFIGDISABLED', message, context);
    this.name = 'ReconfigDisabledError';
  }
}

/** ZooKeeper error SESSIONCLOSEDREQUIRESASLAUTH. */
export class SessionClosedRequireSaslAuthError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('SESSIONCLOSEDREQUIRESASLAUTH', message, context);
    this.name = 'SessionClosedRequireSaslAuthError';
  }
}

/** ZooKeeper error QUOTAEXCEEDED. */
export class QuotaExceededError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('QUOTAEXCEEDED', message, context);
    this.name = 'QuotaExceededError';
  }
}

/** ZooKeeper error THROTTLEDOP. */
export class ThrottledOpError extends ZooKeeperError {
  constructor(message?: string, context?: HerdErrorOptions) {
    super('THROTTLEDOP', message, context);
    this.name = 'ThrottledOpError';
  }
}

const byCode: ReadonlyMap<number, ZooKeeperErrorClass> = new Map<number, ZooKeeperErrorClass>([
  [ErrorCode.SYSTEMERROR, SystemError],
  [ErrorCode.RUNTIMEINCONSISTENCY, RuntimeInconsistencyError],
  [ErrorCode.DATAINCONSISTENCY, DataInconsistencyError],
  [ErrorCode.CONNECTIONLOSS, ConnectionLossError],
  [ErrorCode.MARSHALLINGERROR, MarshallingError],
  [ErrorCode.UNIMPLEMENTED, UnimplementedError],
  [ErrorCode.OPERATIONTIMEOUT, OperationTimeoutError],
  [ErrorCode.BADARGUMENTS, BadArgumentsError],
  [ErrorCode.UNKNOWNSESSION, UnknownSessionError],
  [ErrorCode.NEWCONFIGNOQUORUM, NewConfigNoQuorumError],
  [ErrorCode.RECONFIGINPROGRESS, ReconfigInProgressError],
  [ErrorCode.APIERROR, APIError],
  [ErrorCode.NONODE, NoNodeError],
  [ErrorCode.NOAUTH, NoAuthError],
  [ErrorCode.BADVERSION, BadVersionError],
  [ErrorCode.NOCHILDRENFOREPHEMERALS, NoChildrenForEphemeralsError],
  [ErrorCode.NODEEXISTS, NodeExistsError],
  [ErrorCode.NOTEMPTY, NotEmptyError],
  [ErrorCode.SESSIONEXPIRED, SessionExpiredError],
  [ErrorCode.INVALIDCALLBACK, InvalidCallbackError],
  [ErrorCode.INVALIDACL, InvalidACLError],
  [ErrorCode.AUTHFAILED, AuthFailedError],
  [ErrorCode.SESSIONMOVED, SessionMovedError],
  [ErrorCode.NOTREADONLY, NotReadOnlyError],
  [ErrorCode.EPHEMERALONLOCALSESSION, EphemeralOnLocalSessionError],
  [ErrorCode.NOWATCHER, NoWatcherError],
  [ErrorCode.REQUESTTIMEOUT, RequestTimeoutError],
  [ErrorCode.RECONFIGDISABLED, ReconfigDisabledError],
  [ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH, SessionClosedRequireSaslAuthError],
  [ErrorCode.QUOTAEXCEEDED, QuotaExceededError],
  [ErrorCode.THROTTLEDOP, ThrottledOpError],
]);

/** The typed error for a ZooKeeper error code; unknown codes become a plain {@link ZooKeeperError} of SYSTEMERROR. */
export function errorFromCode(errno: number, context: ErrorContext = {}): ZooKeeperError {
  const cls = byCode.get(errno);
  if (cls) return new cls(undefined, context);
  const name = errorCodeName(errno);
  return new ZooKeeperError(name ?? 'SYSTEMERROR', `unknown ZooKeeper error code ${errno}`, context);
}
