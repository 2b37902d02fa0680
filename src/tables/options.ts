/** The options of `openTables` and of the calls on a tables node, and their checks. */
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';
import type { WaitOptions } from '../base/wait.js';
import type { TablesLogOptions } from './primary.js';
import { checkDeploymentOptions, type TablesLogNodeOptions, type TablesTlsOptions } from './hosting/options.js';
import type { TablesPersistenceOptions } from './snapshots/options.js';
import { checkDefinitions, type TableDefinitions } from './state/definitions.js';
import type { Row, RowKey } from './state/codec.js';
import type { IndexQuery, Position } from './state/store.js';

/** Options of {@link openTables}. */
export interface OpenTablesOptions extends TablesPersistenceOptions {
  /** A connected client; the tables never close it. Its chroot holds `/herd/tables`, the cluster and the log. */
  readonly client: Client;
  /** The tables cluster's name (A-Z a-z 0-9 . _ -): every node of one database opens the same. */
  readonly name: string;
  /** This node's unique name in the cluster. Default `<hostname>-<pid>`. */
  readonly identifier?: string;
  /** This node's weight in the quorum (eXtremeDB's qrank): a positive integer. Default 1. */
  readonly weight?: number;
  /** The tables and their keys, indexes, schemas and row limits. Every node must declare the same. */
  readonly tables: TableDefinitions;
  /**
   * The weight of every member, declared: `{ node01: 2, node02: 1 }`. The
   * total weight is then their sum and an undeclared identifier may not
   * open. Default: the weights each node records when it first opens.
   */
  readonly members?: Readonly<Record<string, number>>;
  /** The log's quorums (E/W/A), used when the log is created. Default 3/3/2. */
  readonly log?: TablesLogOptions;
  /** Where this node serves its rpc object (forwarded transactions, tails, snapshots). Default loopback, any port. */
  readonly rpc?: { readonly host?: string; readonly port?: number; readonly advertisedHost?: string };
  /** How often (ms) this node publishes its applied position and checksum. Default 500. */
  readonly publishInterval?: number;
  /** How many applied changes `changes()` can go back over. Default 10000. */
  readonly changeHistory?: number;
  /**
   * How long openTables waits, ms, while a live member of the cluster holds
   * this node's identifier, before it rejects with DuplicateMemberError.
   * That member is usually this node's previous process, killed before its
   * coordination session expired: the member goes when the session does.
   * 0 refuses at once. Default 60000 (ZooKeeper's largest session timeout
   * at its default tickTime is 40 s).
   */
  readonly rejoinTimeout?: number;
  /**
   * The log storage node this node hosts in its own process (options for
   * it), or `false` for none (the log's storage nodes run elsewhere, e.g.
   * `herd log-node`). Default: hosted, so three application processes and
   * the coordination server are a complete cluster; it closes after the
   * tables. The log's default E/W/A then follows the number of hosting
   * nodes (docs/tables.md, "Deployment").
   */
  readonly logNode?: TablesLogNodeOptions | false;
  /**
   * TLS between nodes: the hosted storage node and the rpc object serve
   * with `key`/`cert`; the log's clients and the forwards to other nodes
   * trust `ca`. A node whose TLS does not match the cluster's is refused
   * at open (NodeAuthenticationError). Default: plain TCP.
   */
  readonly tls?: TablesTlsOptions;
}

/** Options of `db.transaction()`. */
export interface TransactionOptions extends WaitOptions {
  /** How many times to rerun the function after a conflict. Default 0. */
  readonly retries?: number;
}

/** What a committed transaction resolves with. */
export interface TransactionResult<R> {
  /** The log position of its entry: pass it as a session read's `after` for read-your-writes on any node. */
  readonly position: Position;
  /** What the transaction function returned (on its last attempt). */
  readonly result: R;
}

/** The consistency of a read. */
export type ReadOptions =
  | (WaitOptions & {
      /** This node's copy, now. */
      readonly read?: 'local';
      /** Refuse (StaleReadError) when this node has been behind the newest position it knows of for more than this many ms. Default: never refuse. */
      readonly maxStaleness?: number;
    })
  | (WaitOptions & {
      /** This node's copy once it has applied `after` (read-your-writes for a session). */
      readonly read: 'session';
      /** A position from a transaction result. */
      readonly after: Position;
    })
  | (WaitOptions & {
      /** This node's copy once it has applied the committed tail learned from the primary after the read started. */
      readonly read: 'linearizable';
    });

/** Options of the synchronous local reads ({@link LocalReads}). */
export interface LocalReadOptions {
  /** Refuse (StaleReadError) when this node has been behind the newest position it knows of for more than this many ms. Default: never refuse. */
  readonly maxStaleness?: number;
}

/**
 * Synchronous reads of this node's copy (`db.local`): what
 * `db.get(table, key, { read: 'local' })` returns, without a promise, for a
 * hot path that reads often (a routing table, a feature flag). A row is
 * this node's applied state at the moment of the call: it may be behind
 * the other nodes (bound it with `maxStaleness`), never ahead of them, and
 * never a partly applied transaction. Each throws UnknownTableError for an
 * undeclared table, SchemaViolationError for a key that is not a string or
 * a finite number, DivergedError while this node's copy is being resynced,
 * StaleReadError past `maxStaleness`, InvalidStateError after `close()`.
 * Rows are the node's own objects: treat them as read-only.
 */
export interface LocalReads {
  /** The row of `key` in `table`, or undefined. */
  get(table: string, key: RowKey, options?: LocalReadOptions): Row | undefined;
  /** The rows an index query selects (`{ index, eq }` or `{ index, gte?, lt? }`), in index order; also UnknownIndexError. */
  query(table: string, query: IndexQuery, options?: LocalReadOptions): Row[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;

/** Throws BadArgumentsError for any invalid option of {@link OpenTablesOptions}. */
export function checkOpenOptions(options: OpenTablesOptions): void {
  if (options === null || typeof options !== 'object') throw new BadArgumentsError('openTables: options are required');
  if (options.client === undefined) throw new BadArgumentsError('openTables: client is required');
  if (typeof options.name !== 'string' || !NAME.test(options.name)) {
    throw new BadArgumentsError(`openTables: name ${JSON.stringify(options.name)}: use 1 to 100 of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
  }
  if (options.weight !== undefined && !positiveInt(options.weight)) throw new BadArgumentsError('openTables: weight must be a positive integer');
  if (options.members !== undefined) {
    for (const [id, w] of Object.entries(options.members)) {
      if (!positiveInt(w)) throw new BadArgumentsError(`openTables: members.${id} must be a positive integer weight`);
    }
  }
  for (const key of ['publishInterval', 'changeHistory'] as const) {
    if (options[key] !== undefined && !positiveInt(options[key])) throw new BadArgumentsError(`openTables: ${key} must be a positive integer`);
  }
  const rejoin = options.rejoinTimeout;
  if (rejoin !== undefined && !(typeof rejoin === 'number' && rejoin >= 0 && Number.isFinite(rejoin))) throw new BadArgumentsError('openTables: rejoinTimeout must be a non-negative number of ms');
  checkDefinitions(options.tables);
  checkDeploymentOptions(options);
}

/** Throws BadArgumentsError unless `p` is a position. */
export function checkPosition(p: unknown, what: string): asserts p is Position {
  const q = p as Position | null;
  if (q === null || typeof q !== 'object' || !Number.isInteger(q.segmentId) || !Number.isInteger(q.entryId)) {
    throw new BadArgumentsError(`${what}: a position is { segmentId, entryId }`);
  }
}
