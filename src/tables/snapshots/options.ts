/** The snapshot, truncation and persistence options of `openTables`, and their checks. */
import { BadArgumentsError } from '../errors.js';

/**
 * When the primary may truncate the log below the members' snapshots:
 * - `'durable'`: only below a snapshot some live member has written to its
 *   `dataDir` (so a restart of every node loses nothing). A cluster without
 *   a `dataDir` anywhere then never truncates.
 * - `'always'`: in-memory snapshots count too. A restart of every node at
 *   once without a `dataDir` then loses what was truncated.
 * - `'never'`: the log keeps every entry.
 */
export type TruncatePolicy = 'durable' | 'always' | 'never';

/** How often a node snapshots its copy, and what the primary truncates. */
export interface TablesSnapshotOptions {
  /** Take a snapshot once this many entries were applied since the last one. Default 10000. */
  readonly entries?: number;
  /** ... or once this many ms passed since the last one, when any entry was applied meanwhile. Default 60000. */
  readonly interval?: number;
  /** See {@link TruncatePolicy}. Default `'durable'`. */
  readonly truncate?: TruncatePolicy;
}

/** The options of `openTables` this module reads (besides those in OpenTablesOptions). */
export interface TablesPersistenceOptions {
  /**
   * A directory of this node's own (created if missing): each snapshot is
   * also written there (`snapshot`, checksummed, fsynced), and on open the
   * node loads it and follows the log from its position. A corrupt file is
   * refused (a warning names it and the offset) and the node loads the
   * primary's snapshot instead. Default: none, the copy lives in memory.
   */
  readonly dataDir?: string;
  /** Snapshot schedule and truncation policy. */
  readonly snapshots?: TablesSnapshotOptions;
}

/** The options with their defaults. */
export interface ResolvedSnapshotOptions {
  readonly entries: number;
  readonly interval: number;
  readonly truncate: TruncatePolicy;
  readonly dataDir: string | undefined;
}

const POLICIES: readonly TruncatePolicy[] = ['durable', 'always', 'never'];

/** The options with their defaults; throws BadArgumentsError for an invalid one (before any I/O). */
export function resolveSnapshotOptions(options: TablesPersistenceOptions): ResolvedSnapshotOptions {
  const s = options.snapshots ?? {};
  if (typeof s !== 'object' || s === null) throw new BadArgumentsError('openTables: snapshots must be an object');
  for (const key of ['entries', 'interval'] as const) {
    const v = s[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new BadArgumentsError(`openTables: snapshots.${key} must be a positive integer`);
  }
  if (s.truncate !== undefined && !POLICIES.includes(s.truncate)) throw new BadArgumentsError(`openTables: snapshots.truncate must be one of ${POLICIES.join(', ')}`);
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir === '')) throw new BadArgumentsError('openTables: dataDir must be a non-empty path');
  return { entries: s.entries ?? 10_000, interval: s.interval ?? 60_000, truncate: s.truncate ?? 'durable', dataDir: options.dataDir };
}
