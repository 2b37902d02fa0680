/**
 * The client's side of multi and multiRead: the wire ops built from
 * {@link TransactionOp}s and {@link ReadOp}s, and the results read back.
 * The wire form itself (`src/jute/ops/multi.ts`) comes from the op table;
 * here each table is keyed by the same op names (MultiResult's types, which
 * the jute table's result ops match entry for entry), so what the client
 * does with an op is written once per op, with no switch over op types: a
 * result type added there is a compile error until it has an entry here.
 */
import { BadArgumentsError, HerdError, errorFromCode } from '../errors.js';
import type { MultiOp, MultiResult } from '../jute/ops/multi.js';
import type { Chroot } from './chroot.js';
import { copyData, toBuffer } from './data.js';
import { checkPath, createRequest, pathError } from './op-builders.js';
import type { ReadOp, ReadResult, TransactionError, TransactionOp, TransactionOpError, TransactionResult } from './transaction.js';

const EMPTY = Buffer.alloc(0);

type TransactionOpOf<K extends TransactionOp['type']> = TransactionOp & { type: K };
type ResultOf<K extends MultiResult['type']> = MultiResult & { type: K };
type ResultTable<R, Extra> = { readonly [K in MultiResult['type']]: ((r: ResultOf<K>, extra: Extra) => R) | undefined };

/** How each transaction op is written (validation, chroot), by the op's `type`. */
const TRANSACTION_OPS: { readonly [K in TransactionOp['type']]: (o: TransactionOpOf<K>, chroot: Chroot) => MultiOp } = {
  create: (o, chroot) => {
    const { op: kind, body } = createRequest(chroot, o.path, o.data, o.options);
    if (kind === 'createTTL') return { type: 'createTTL', request: body };
    return { type: kind, request: { path: body.path, data: body.data, acl: body.acl, flags: body.flags } };
  },
  delete: (o, chroot) => versioned('delete', o, chroot),
  check: (o, chroot) => versioned('check', o, chroot),
  setData: (o, chroot) => {
    checkPath(o.path, 'setData');
    return { type: 'setData', request: { path: chroot.toServer(o.path), data: toBuffer(o.data, EMPTY), version: o.version } };
  },
};

function versioned(type: 'delete' | 'check', o: { path: string; version: number }, chroot: Chroot): MultiOp {
  checkPath(o.path, type);
  return { type, request: { path: chroot.toServer(o.path), version: o.version } };
}

/** A committed transaction's result for each op that may answer in one (reads and errors may not). */
const TRANSACTION_RESULTS: ResultTable<TransactionResult, Chroot> = {
  create: (r, chroot) => ({ type: 'create', path: chroot.toClient(r.response.path) }),
  create2: (r, chroot) => ({ type: 'create', path: chroot.toClient(r.response.path), stat: r.response.stat }),
  delete: () => ({ type: 'delete' }),
  check: () => ({ type: 'check' }),
  setData: (r) => ({ type: 'setData', stat: r.response }),
  getData: undefined,
  getChildren: undefined,
  error: undefined,
};

/** A multiRead's result for each op that may answer in one: the reads, and a failed read. */
const READ_RESULTS: ResultTable<ReadResult, ReadOp | undefined> = {
  getData: (r) => ({ type: 'getData', data: copyData(r.response.data), stat: r.response.stat }),
  getChildren: (r) => ({ type: 'getChildren', children: r.response.children }),
  error: (r, o) => ({ type: 'error', errno: r.err, error: errorFromCode(r.err, { op: o?.type ?? 'multiRead', path: o?.path }) }),
  create: undefined,
  create2: undefined,
  delete: undefined,
  check: undefined,
  setData: undefined,
};

/** Reads one result with its table's entry; a result type the table has no entry for is a protocol error. */
function readWith<R, Extra>(table: ResultTable<R, Extra>, r: MultiResult, extra: Extra, opName: string): R {
  const read = table[r.type] as ((r: MultiResult, extra: Extra) => R) | undefined;
  if (read === undefined) throw new HerdError('MARSHALLINGERROR', `unexpected ${r.type} result in ${opName}`, { op: opName });
  return read(r, extra);
}

/** The wire form of a transaction's ops (throws BadArgumentsError). */
export function transactionOps(chroot: Chroot, ops: readonly TransactionOp[]): MultiOp[] {
  return ops.map((o) => {
    const write = Object.hasOwn(TRANSACTION_OPS, o.type) ? (TRANSACTION_OPS[o.type] as (o: TransactionOp, chroot: Chroot) => MultiOp) : undefined;
    if (write === undefined) throw new BadArgumentsError(`op ${String(o.type)} is not allowed in a transaction`, { op: 'multi' });
    return write(o, chroot);
  });
}

/** A committed transaction's results, or the {@link TransactionError} of a rolled back one (thrown). */
export function transactionResults(chroot: Chroot, results: MultiResult[], paths: readonly string[]): TransactionResult[] {
  const failedIndex = results.findIndex((r) => r.type === 'error' && r.err !== 0);
  if (failedIndex >= 0) throw transactionError(results, failedIndex, paths);
  return results.map((r) => readWith(TRANSACTION_RESULTS, r, chroot, 'multi'));
}

/** The wire form of a multiRead's ops, or the error to reject with. */
export function readOps(chroot: Chroot, ops: readonly ReadOp[]): MultiOp[] | BadArgumentsError {
  const wire: MultiOp[] = [];
  for (const o of ops) {
    const error = pathError(o.path, 'multiRead');
    if (error !== undefined) return error;
    if (!isRead(o.type)) {
      return new BadArgumentsError(`op ${String((o as { type: unknown }).type)} is not a read`, { op: 'multiRead' });
    }
    wire.push({ type: o.type, request: { path: chroot.toServer(o.path), watch: false } });
  }
  return wire;
}

/** The ops a multiRead carries: those with a read result (`error` is a failed read, not an op). */
function isRead(type: string): boolean {
  return type !== 'error' && Object.hasOwn(READ_RESULTS, type) && READ_RESULTS[type as MultiResult['type']] !== undefined;
}

/** A multiRead's results: each read succeeded or failed on its own. */
export function readResults(results: MultiResult[], ops: readonly ReadOp[]): ReadResult[] {
  return results.map((r, i) => readWith(READ_RESULTS, r, ops[i], 'multiRead'));
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
