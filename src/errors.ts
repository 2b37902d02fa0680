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

function define(code: ErrorCodeName, name: string): HerdErrorClass {
  // One named subclass per code, so `instanceof NoNodeError` and `err.name` both work.
  const cls = {
    [name]: class extends HerdError {
      constructor(message?: string, context?: ErrorContext) {
        super(code, message, context);
        this.name = name;
      }
    },
  }[name]!;
  return cls;
}

export const SystemError = define('SYSTEMERROR', 'SystemError');
export const RuntimeInconsistencyError = define('RUNTIMEINCONSISTENCY', 'RuntimeInconsistencyError');
export const DataInconsistencyError = define('DATAINCONSISTENCY', 'DataInconsistencyError');
export const ConnectionLossError = define('CONNECTIONLOSS', 'ConnectionLossError');
export const MarshallingError = define('MARSHALLINGERROR', 'MarshallingError');
export const UnimplementedError = define('UNIMPLEMENTED', 'UnimplementedError');
export const OperationTimeoutError = define('OPERATIONTIMEOUT', 'OperationTimeoutError');
export const BadArgumentsError = define('BADARGUMENTS', 'BadArgumentsError');
export const UnknownSessionError = define('UNKNOWNSESSION', 'UnknownSessionError');
export const NewConfigNoQuorumError = define('NEWCONFIGNOQUORUM', 'NewConfigNoQuorumError');
export const ReconfigInProgressError = define('RECONFIGINPROGRESS', 'ReconfigInProgressError');
export const APIError = define('APIERROR', 'APIError');
export const NoNodeError = define('NONODE', 'NoNodeError');
export const NoAuthError = define('NOAUTH', 'NoAuthError');
export const BadVersionError = define('BADVERSION', 'BadVersionError');
export const NoChildrenForEphemeralsError = define('NOCHILDRENFOREPHEMERALS', 'NoChildrenForEphemeralsError');
export const NodeExistsError = define('NODEEXISTS', 'NodeExistsError');
export const NotEmptyError = define('NOTEMPTY', 'NotEmptyError');
export const SessionExpiredError = define('SESSIONEXPIRED', 'SessionExpiredError');
export const InvalidCallbackError = define('INVALIDCALLBACK', 'InvalidCallbackError');
export const InvalidACLError = define('INVALIDACL', 'InvalidACLError');
export const AuthFailedError = define('AUTHFAILED', 'AuthFailedError');
export const SessionMovedError = define('SESSIONMOVED', 'SessionMovedError');
export const NotReadOnlyError = define('NOTREADONLY', 'NotReadOnlyError');
export const EphemeralOnLocalSessionError = define('EPHEMERALONLOCALSESSION', 'EphemeralOnLocalSessionError');
export const NoWatcherError = define('NOWATCHER', 'NoWatcherError');
export const RequestTimeoutError = define('REQUESTTIMEOUT', 'RequestTimeoutError');
export const ReconfigDisabledError = define('RECONFIGDISABLED', 'ReconfigDisabledError');
export const SessionClosedRequireSaslAuthError = define(
  'SESSIONCLOSEDREQUIRESASLAUTH',
  'SessionClosedRequireSaslAuthError',
);
export const QuotaExceededError = define('QUOTAEXCEEDED', 'QuotaExceededError');
export const ThrottledOpError = define('THROTTLEDOP', 'ThrottledOpError');

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
