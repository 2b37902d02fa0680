/**
 * `readLog`: reading a log without being its writer. `Log.read` (writer/log.ts)
 * needs an open writer, and opening one fences the log's real writer; this
 * reads the metadata and the storage nodes only, through its own node
 * connections, and writes nothing (no metadata, no fencing, no recovery of
 * an open segment, which is read up to the last entry its nodes confirmed).
 */
import { checkClientTls, type LogTlsOptions } from '../node/tls.js';
import type { Client } from '../../client/index.js';
import { BadArgumentsError } from '../../errors.js';
import { checkLogName } from '../metadata/layout.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import { NodePool } from '../writer/node-pool.js';
import { readEntries, resolveBound, type LogRecord, type ReadBounds, type ReadOptions } from './read-log.js';

/** Options of {@link readLog}: the bounds of {@link ReadOptions}, and the node connections' timeouts. */
export interface ReadLogOptions extends ReadOptions {
  /** How long a storage node may take to answer a request, ms. Default 10000. */
  readonly nodeTimeout?: number;
  /** How long connecting to a storage node may take, ms. Default 5000. */
  readonly connectTimeout?: number;
  /** Connect to the storage nodes over TLS, as openLog's `tls`. Default: plain TCP. */
  readonly tls?: LogTlsOptions;
}

/**
 * The entries of log `name` within `options.from` and `options.to`
 * (inclusive; positions, Dates or epoch ms), in order, read without a
 * writer: nothing is written to the metadata or the nodes. An open
 * segment is read up to the highest last-add-confirmed its nodes hold.
 * The node connections close when iteration ends (or `return()` is
 * called). Throws BadArgumentsError for a bad name or bound; rejects
 * during iteration with NoSuchLogError when there is no such log and
 * NotEnoughNodesError when no replica can serve an entry.
 */
export function readLog(client: Client, name: string, options: ReadLogOptions = {}): AsyncIterableIterator<LogRecord> {
  checkLogName(name);
  const bounds: ReadBounds = { ...resolveBound(options.from, 'from'), ...resolveBound(options.to, 'to') };
  const pool = new NodePool(client, { timeout: checkDuration(options.nodeTimeout, 'nodeTimeout', 10_000, 'readLog'), connectTimeout: checkDuration(options.connectTimeout, 'connectTimeout', 5_000, 'readLog'), tls: checkClientTls(options.tls, 'readLog') });
  return (async function* () {
    try {
      yield* readEntries(new LogMetadataStore(client), pool, name, bounds);
    } finally {
      await pool.close();
    }
  })();
}

/** A duration option of a reader: `fallback` when undefined, else a positive number of ms (BadArgumentsError naming `what`). */
export function checkDuration(value: number | undefined, name: string, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new BadArgumentsError(`${what}: ${name} must be a positive number of ms, got ${String(value)}`);
  return value;
}
