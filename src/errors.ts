import { ErrorCode, errorCodeName, type ErrorCodeName } from './jute/error-codes.js';

/** Where an error came from: the op and path it concerns, when known. */
export interface ErrorContext {
  path?: string;
  op?: string;
}

/**
 * Base of every error Herd throws. `code` is the ZooKeeper error code name
 * (`NONODE`, `BADVERSION`, ...) and `errno` its numeric value.
 */
export class HerdError extends Error {
  override name = 'HerdError';
  readonly code: ErrorCodeName;
  readonly errno: number;
  readonly path?: string;
  readonly op?: string;

  constructor(code: ErrorCodeName, message?: string, context: ErrorContext = {}) {
    const where = [context.op, context.path].filter(Boolean).join(' ');
    super(message ?? (where ? `${code}: ${where}` : code));
    this.code = code;
    this.errno = ErrorCode[code];
    if (context.path !== undefined) this.path = context.path;
    if (context.op !== undefined) this.op = context.op;
  }
}

type HerdErrorClass = new (message?: string, context?: ErrorContext) => HerdError;

/** ZooKeeper error SYSTEMERROR. */
export class SystemError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('SYSTEMERROR', message, context);
    this.name = 'SystemError';
  }
}

/** ZooKeeper error RUNTIMEINCONSISTENCY. */
export class RuntimeInconsistencyError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('RUNTIMEINCONSISTENCY', message, context);
    this.name = 'RuntimeInconsistencyError';
  }
}

/** ZooKeeper error DATAINCONSISTENCY. */
export class DataInconsistencyError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('DATAINCONSISTENCY', message, context);
    this.name = 'DataInconsistencyError';
  }
}

/** ZooKeeper error CONNECTIONLOSS. */
export class ConnectionLossError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('CONNECTIONLOSS', message, context);
    this.name = 'ConnectionLossError';
  }
}

/** ZooKeeper error MARSHALLINGERROR. */
export class MarshallingError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('MARSHALLINGERROR', message, context);
    this.name = 'MarshallingError';
  }
}

/** ZooKeeper error UNIMPLEMENTED. */
export class UnimplementedError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('UNIMPLEMENTED', message, context);
    this.name = 'UnimplementedError';
  }
}

/** ZooKeeper error OPERATIONTIMEOUT. */
export class OperationTimeoutError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('OPERATIONTIMEOUT', message, context);
    this.name = 'OperationTimeoutError';
  }
}

/** ZooKeeper error BADARGUMENTS. */
export class BadArgumentsError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('BADARGUMENTS', message, context);
    this.name = 'BadArgumentsError';
  }
}

/** ZooKeeper error UNKNOWNSESSION. */
export class UnknownSessionError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('UNKNOWNSESSION', message, context);
    this.name = 'UnknownSessionError';
  }
}

/** ZooKeeper error NEWCONFIGNOQUORUM. */
export class NewConfigNoQuorumError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NEWCONFIGNOQUORUM', message, context);
    this.name = 'NewConfigNoQuorumError';
  }
}

/** ZooKeeper error RECONFIGINPROGRESS. */
export class ReconfigInProgressError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('RECONFIGINPROGRESS', message, context);
    this.name = 'ReconfigInProgressError';
  }
}

/** ZooKeeper error APIERROR. */
export class APIError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('APIERROR', message, context);
    this.name = 'APIError';
  }
}

/** ZooKeeper error NONODE. */
export class NoNodeError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NONODE', message, context);
    this.name = 'NoNodeError';
  }
}

/** ZooKeeper error NOAUTH. */
export class NoAuthError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NOAUTH', message, context);
    this.name = 'NoAuthError';
  }
}

/** ZooKeeper error BADVERSION. */
export class BadVersionError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('BADVERSION', message, context);
    this.name = 'BadVersionError';
  }
}

/** ZooKeeper error NOCHILDRENFOREPHEMERALS. */
export class NoChildrenForEphemeralsError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NOCHILDRENFOREPHEMERALS', message, context);
    this.name = 'NoChildrenForEphemeralsError';
  }
}

/** ZooKeeper error NODEEXISTS. */
export class NodeExistsError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NODEEXISTS', message, context);
    this.name = 'NodeExistsError';
  }
}

/** ZooKeeper error NOTEMPTY. */
export class NotEmptyError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NOTEMPTY', message, context);
    this.name = 'NotEmptyError';
  }
}

/** ZooKeeper error SESSIONEXPIRED. */
export class SessionExpiredError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('SESSIONEXPIRED', message, context);
    this.name = 'SessionExpiredError';
  }
}

/** ZooKeeper error INVALIDCALLBACK. */
export class InvalidCallbackError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('INVALIDCALLBACK', message, context);
    this.name = 'InvalidCallbackError';
  }
}

/** ZooKeeper error INVALIDACL. */
export class InvalidACLError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('INVALIDACL', message, context);
    this.name = 'InvalidACLError';
  }
}

/** ZooKeeper error AUTHFAILED. */
export class AuthFailedError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('AUTHFAILED', message, context);
    this.name = 'AuthFailedError';
  }
}

/** ZooKeeper error SESSIONMOVED. */
export class SessionMovedError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('SESSIONMOVED', message, context);
    this.name = 'SessionMovedError';
  }
}

/** ZooKeeper error NOTREADONLY. */
export class NotReadOnlyError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NOTREADONLY', message, context);
    this.name = 'NotReadOnlyError';
  }
}

/** ZooKeeper error EPHEMERALONLOCALSESSION. */
export class EphemeralOnLocalSessionError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('EPHEMERALONLOCALSESSION', message, context);
    this.name = 'EphemeralOnLocalSessionError';
  }
}

/** ZooKeeper error NOWATCHER. */
export class NoWatcherError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('NOWATCHER', message, context);
    this.name = 'NoWatcherError';
  }
}

/** ZooKeeper error REQUESTTIMEOUT. */
export class RequestTimeoutError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('REQUESTTIMEOUT', message, context);
    this.name = 'RequestTimeoutError';
  }
}

/** ZooKeeper error RECONFIGDISABLED. */
export class ReconfigDisabledError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('RECONFIGDISABLED', message, context);
    this.name = 'ReconfigDisabledError';
  }
}

/** ZooKeeper error SESSIONCLOSEDREQUIRESASLAUTH. */
export class SessionClosedRequireSaslAuthError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('SESSIONCLOSEDREQUIRESASLAUTH', message, context);
    this.name = 'SessionClosedRequireSaslAuthError';
  }
}

/** ZooKeeper error QUOTAEXCEEDED. */
export class QuotaExceededError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('QUOTAEXCEEDED', message, context);
    this.name = 'QuotaExceededError';
  }
}

/** ZooKeeper error THROTTLEDOP. */
export class ThrottledOpError extends HerdError {
  constructor(message?: string, context?: ErrorContext) {
    super('THROTTLEDOP', message, context);
    this.name = 'ThrottledOpError';
  }
}

const byCode: ReadonlyMap<number, HerdErrorClass> = new Map<number, HerdErrorClass>([
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

/** The typed error for a ZooKeeper error code; unknown codes become a plain {@link HerdError} of SYSTEMERROR. */
export function errorFromCode(errno: number, context: ErrorContext = {}): HerdError {
  const cls = byCode.get(errno);
  if (cls) return new cls(undefined, context);
  const name = errorCodeName(errno);
  return new HerdError(name ?? 'SYSTEMERROR', `unknown ZooKeeper error code ${errno}`, context);
}
