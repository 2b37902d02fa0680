import type { HerdError } from '../errors.js';
import type { CreateModeName } from './create-mode.js';
import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';
import type { Data } from './data.js';

/** Options of a create, in {@link Client.create} and {@link op.create}. */
export interface CreateOptions {
  /** Default `persistent`. */
  mode?: CreateModeName;
  /** Default {@link Acls.openUnsafe}. */
  acl?: readonly ACL[];
  /** Time to live in ms, required by (and only allowed with) the TTL modes. */
  ttl?: number;
}

/** One op of a {@link Client.multi} transaction; build them with {@link op}. */
export type TransactionOp =
  | { readonly type: 'create'; readonly path: string; readonly data: Data | undefined; readonly options: CreateOptions }
  | { readonly type: 'delete'; readonly path: string; readonly version: number }
  | { readonly type: 'setData'; readonly path: string; readonly data: Data; readonly version: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number };

/** One read of a {@link Client.multiRead}; build them with {@link op}. */
export type ReadOp = { readonly type: 'getData'; readonly path: string } | { readonly type: 'getChildren'; readonly path: string };

/** The result of one op of a committed transaction, in op order. */
export type TransactionResult =
  | { readonly type: 'create'; readonly path: string; readonly stat?: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'check' };

/**
 * The outcome of one op of a transaction that was rolled back: `errno` 0
 * for ops that would have succeeded, the failing op's code, and
 * RUNTIMEINCONSISTENCY (-2) for the ops after it.
 */
export interface TransactionOpError {
  readonly type: 'error';
  readonly errno: number;
  /** The typed error, or undefined when errno is 0. */
  readonly error: HerdError | undefined;
}

/** The result of one read of a multiRead: reads succeed or fail independently. */
export type ReadResult =
  | { readonly type: 'getData'; readonly data: Buffer | null; readonly stat: Stat }
  | { readonly type: 'getChildren'; readonly children: string[] }
  | { readonly type: 'error'; readonly errno: number; readonly error: HerdError };

/**
 * What a failed {@link Client.multi} rejects with: the typed error of the
 * failing op (`NodeExistsError`, `BadVersionError`, ...) with the per-op
 * outcomes and the index of the op that failed.
 */
export type TransactionError = HerdError & {
  readonly results: readonly TransactionOpError[];
  readonly failedIndex: number;
};

/** True when `error` is the rejection of a failed transaction. */
export function isTransactionError(error: unknown): error is TransactionError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { results?: unknown }).results) &&
    typeof (error as { failedIndex?: unknown }).failedIndex === 'number'
  );
}

/** Builders of transaction and multiRead ops. */
export const op = {
  /** Creates a node (fails the transaction if it exists). */
  create(path: string, data?: Data, options: CreateOptions = {}): TransactionOp {
    return { type: 'create', path, data, options };
  },
  /** Deletes a node; version -1 matches any. */
  delete(path: string, version = -1): TransactionOp {
    return { type: 'delete', path, version };
  },
  /** Sets a node's data; version -1 matches any. */
  setData(path: string, data: Data, version = -1): TransactionOp {
    return { type: 'setData', path, data, version };
  },
  /** Asserts a node's version without changing it. */
  check(path: string, version: number): TransactionOp {
    return { type: 'check', path, version };
  },
  /** Reads a node's data and stat (multiRead). */
  getData(path: string): ReadOp {
    return { type: 'getData', path };
  },
  /** Reads a node's children (multiRead). */
  getChildren(path: string): ReadOp {
    return { type: 'getChildren', path };
  },
} as const;
