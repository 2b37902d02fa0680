/**
 * The shell's errors, and how a failure is told to the user: as zkCli
 * words it (`Node does not exist: /x`), so scripts that match on zkCli's
 * messages keep working.
 */
import { BadArgumentsError, HerdError, ZooKeeperError } from '../errors.js';
import type { ErrorCodeName } from '../jute/error-codes.js';

/**
 * A command line the shell cannot run (unknown command, unknown flag,
 * missing argument); its message is what zkCli prints for the same line.
 */
export class CommandUsageError extends BadArgumentsError {
  override name = 'CommandUsageError';
}

/** KeeperException's code messages, for `KeeperErrorCode = <message> for <path>`. */
const CODE_MESSAGES: Partial<Record<ErrorCodeName, string>> = {
  SYSTEMERROR: 'SystemError',
  RUNTIMEINCONSISTENCY: 'RuntimeInconsistency',
  DATAINCONSISTENCY: 'DataInconsistency',
  CONNECTIONLOSS: 'ConnectionLoss',
  MARSHALLINGERROR: 'MarshallingError',
  UNIMPLEMENTED: 'Unimplemented',
  OPERATIONTIMEOUT: 'OperationTimeout',
  BADARGUMENTS: 'BadArguments',
  UNKNOWNSESSION: 'UnknownSession',
  NEWCONFIGNOQUORUM: 'NewConfigNoQuorum',
  RECONFIGINPROGRESS: 'ReconfigInProgress',
  APIERROR: 'APIError',
  NONODE: 'NoNode',
  NOAUTH: 'NoAuth',
  BADVERSION: 'BadVersion',
  NOCHILDRENFOREPHEMERALS: 'NoChildrenForEphemerals',
  NODEEXISTS: 'NodeExists',
  NOTEMPTY: 'Directory not empty',
  SESSIONEXPIRED: 'Session expired',
  INVALIDCALLBACK: 'Invalid callback',
  INVALIDACL: 'InvalidACL',
  AUTHFAILED: 'AuthFailed',
  SESSIONMOVED: 'Session moved',
  NOTREADONLY: 'Not a read-only call',
  EPHEMERALONLOCALSESSION: 'Ephemeral node on local session',
  NOWATCHER: 'No such watcher',
  REQUESTTIMEOUT: 'Request timeout',
  RECONFIGDISABLED: 'Reconfig is disabled',
  SESSIONCLOSEDREQUIRESASLAUTH: 'Session closed because client failed to authenticate',
  QUOTAEXCEEDED: 'Quota has exceeded',
  THROTTLEDOP: 'Op throttled due to high load',
};

/** zkCli's wording of a KeeperException (CliWrapperException), by code; the rest read `KeeperErrorCode = ...`. */
const CLI_MESSAGES: Partial<Record<ErrorCodeName, (path: string) => string>> = {
  NONODE: (p) => `Node does not exist: ${p}`,
  NOCHILDRENFOREPHEMERALS: (p) => `Ephemerals cannot have children: ${p}`,
  NODEEXISTS: (p) => `Node already exists: ${p}`,
  NOTEMPTY: (p) => `Node not empty: ${p}`,
  NOTREADONLY: (p) => `Not a read-only call: ${p}`,
  INVALIDACL: (p) => `Acl is not valid : ${p}`,
  NOAUTH: (p) => `Insufficient permission : ${p}`,
  BADVERSION: (p) => `version No is not valid : ${p}`,
  QUOTAEXCEEDED: (p) => `Quota has exceeded : ${p}`,
};

/** What the shell prints for a failed command: zkCli's text for ZooKeeper errors, the message otherwise. */
export function errorText(err: unknown): string {
  if (err instanceof ZooKeeperError && !(err instanceof CommandUsageError)) {
    const path = err.path;
    const cli = CLI_MESSAGES[err.code];
    if (cli !== undefined && path !== undefined) return cli(path);
    // A client-side argument check (an invalid path) has a message of its own: keep it.
    if (err.code === 'BADARGUMENTS' && path === undefined) return err.message;
    const base = `KeeperErrorCode = ${CODE_MESSAGES[err.code] ?? err.code}`;
    return path === undefined ? base : `${base} for ${path}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A failure for `--json`: `{ error: { code, message, path? } }`. */
export function errorJson(err: unknown): { error: { code: string; message: string; path?: string } } {
  const code = err instanceof HerdError ? err.code : 'ERROR';
  const path = err instanceof HerdError ? err.path : undefined;
  return { error: { code, message: errorText(err), ...(path === undefined ? {} : { path }) } };
}
