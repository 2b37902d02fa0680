import { BadArgumentsError, HerdError, errorFromCode } from '../errors.js';
import { invalidPathReason } from '../base/path.js';
import { CreateMode } from '../jute/enums.js';
import type { MultiOp, MultiResult } from '../jute/ops/multi.js';
import { Acls } from './acl.js';
import type { Chroot } from './chroot.js';
import { invalidModeReason, isSequential, isTTL, type CreateModeName } from './create-mode.js';
import { copyData, toBuffer, type Data } from './data.js';
import type {
  CreateOptions,
  ReadOp,
  ReadResult,
  TransactionError,
  TransactionOp,
  TransactionOpError,
  TransactionResult,
} from './transaction.js';

const EMPTY = Buffer.alloc(0);

/** Why a path cannot be used by `opName`, as the error to throw; undefined when it is valid. */
export function pathError(path: string, opName: string, sequential = false): BadArgumentsError | undefined {
  const reason = typeof path === 'string' ? invalidPathReason(path, sequential) : 'path must be a string';
  return reason === undefined ? undefined : new BadArgumentsError(`invalid path: ${reason}`, { op: opName, path: String(path) });
}

/** Throws {@link pathError}'s error, if any. */
export function checkPath(path: string, opName: string, sequential = false): void {
  const error = pathError(path, opName, sequential);
  if (error !== undefined) throw error;
}

/** Validates a create and builds its wire form (throws BadArgumentsError). */
export function createRequest(chroot: Chroot, path: string, data: Data | undefined, options: CreateOptions) {
  const mode: CreateModeName = options.mode ?? 'persistent';
  const modeError = invalidModeReason(mode, options.ttl);
  if (modeError !== undefined) throw new BadArgumentsError(modeError, { op: 'create', path });
  checkPath(path, 'create', isSequential(mode));
  const body = {
    path: chroot.toServer(path),
    data: toBuffer(data, EMPTY),
    acl: [...(options.acl ?? Acls.openUnsafe)],
    flags: CreateMode[mode],
    ttl: options.ttl ?? 0,
  };
  const op: 'createTTL' | 'createContainer' | 'create' = isTTL(mode) ? 'createTTL' : mode === 'container' ? 'createContainer' : 'create';
  return { op, body };
}

/** The wire form of a transaction's ops (throws BadArgumentsError). */
export function transactionOps(chroot: Chroot, ops: readonly TransactionOp[]): MultiOp[] {
  return ops.map((o): MultiOp => {
    switch (o.type) {
      case 'create': {
        const { op: kind, body } = createRequest(chroot, o.path, o.data, o.options);
        if (kind === 'createTTL') return { type: 'createTTL', request: body };
        return { type: kind, request: { path: body.path, data: body.data, acl: body.acl, flags: body.flags } };
      }
      case 'delete':
      case 'check':
        checkPath(o.path, o.type);
        return { type: o.type, request: { path: chroot.toServer(o.path), version: o.version } };
      case 'setData':
        checkPath(o.path, 'setData');
        return { type: 'setData', request: { path: chroot.toServer(o.path), data: toBuffer(o.data, EMPTY), version: o.version } };
      default:
        throw new BadArgumentsError(`op ${(o as { type: string }).type} is not allowed in a transaction`, { op: 'multi' });
    }
  });
}

/** A committed transaction's results, or the {@link TransactionError} of a rolled back one (thrown). */
export function transactionResults(chroot: Chroot, results: MultiResult[], paths: readonly string[]): TransactionResult[] {
  const failedIndex = results.findIndex((r) => r.type === 'error' && r.err !== 0);
  if (failedIndex >= 0) throw transactionError(results, failedIndex, paths);
  return results.map((r): TransactionResult => {
    switch (r.type) {
      case 'create':
        return { type: 'create', path: chroot.toClient(r.response.path) };
      case 'create2':
        return { type: 'create', path: chroot.toClient(r.response.path), stat: r.response.stat };
      case 'delete':
      case 'check':
        return { type: r.type };
      case 'setData':
        return { type: 'setData', stat: r.response };
      default:
        throw new HerdError('MARSHALLINGERROR', `unexpected ${r.type} result in a transaction`, { op: 'multi' });
    }
  });
}

/** The wire form of a multiRead's ops, or the error to reject with. */
export function readOps(chroot: Chroot, ops: readonly ReadOp[]): MultiOp[] | BadArgumentsError {
  const wire: MultiOp[] = [];
  for (const o of ops) {
    const error = pathError(o.path, 'multiRead');
    if (error !== undefined) return error;
    if (o.type !== 'getData' && o.type !== 'getChildren') {
      return new BadArgumentsError(`op ${String((o as { type: unknown }).type)} is not a read`, { op: 'multiRead' });
    }
    wire.push({ type: o.type, request: { path: chroot.toServer(o.path), watch: false } });
  }
  return wire;
}

/** A multiRead's results: each read succeeded or failed on its own. */
export function readResults(results: MultiResult[], ops: readonly ReadOp[]): ReadResult[] {
  return results.map((r, i): ReadResult => {
    switch (r.type) {
      case 'getData':
        return { type: 'getData', data: copyData(r.response.data), stat: r.response.stat };
      case 'getChildren':
        return { type: 'getChildren', children: r.response.children };
      case 'error':
        return { type: 'error', errno: r.err, error: errorFromCode(r.err, { op: ops[i]?.type ?? 'multiRead', path: ops[i]?.path }) };
      default:
        throw new HerdError('MARSHALLINGERROR', `unexpected ${r.type} result in multiRead`, { op: 'multiRead' });
    }
  });
}

function transactionError(results: MultiResult[], failedIndex: number, paths: readonly string[]): TransactionError {
  const failed = results[failedIndex] as { type: 'error'; err: number };
  const outcomes: TransactionOpError[] = results.map((r, i) => {
    const errno = r.type === 'error' ? r.err : 0;
    return {
      type: 'error',
      errno,
      error: errno === 0 ? undefined : errorFromCode(errno, { op: 'multi', path: paths[i] }),
    };
  });
  const error = errorFromCode(failed.err, { op: 'multi', path: paths[failedIndex] });
  return Object.assign(error, { results: outcomes, failedIndex });
}
