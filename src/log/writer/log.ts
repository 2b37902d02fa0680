/**
 * `openLog`: the single writer of a log, and its reads (BookKeeper's
 * ledger handle over a list of ledgers). Usage:
 * ```ts
 * await using log = await openLog(client, 'app-events', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 });
 * const pos = await log.append(Buffer.from('...'), { timestamp: Date.now() });
 * for await (const e of log.read({ from: new Date(Date.now() - 60_000) })) console.log(e.position, e.timestamp, e.data);
 * ```
 *
 * Protocol (metadata layout: ../metadata/layout.ts; records: ../metadata/records.ts):
 * 1. Open: create the log's record if missing (its first creator decides
 *    the quorums). If its last segment is OPEN or IN_RECOVERY, a writer
 *    was (or still is) writing it: recover it (./recovery.ts: fence it on
 *    its nodes, find and re-replicate the entries that may have been
 *    acknowledged, close it there). Then pick E live storage nodes
 *    (`/herd/log/nodes`) and add a new OPEN segment by one transaction that
 *    also checks the previous segment is CLOSED at the version we saw
 *    (metadata-store.ts: addSegment). Losing that race means another
 *    writer opened a segment meanwhile: read again and recover it in turn.
 * 2. Append (./segment-writer.ts): entry ids in order, timestamps forced
 *    non-decreasing along the log, each entry sent to its write set and
 *    acknowledged after A confirmations, strictly in entry order, with the
 *    last-add-confirmed piggybacked on every entry.
 * 3. Roll over: once the segment holds `maxSegmentEntries` entries or
 *    `maxSegmentBytes` bytes, or `maxSegmentAge` after its first append
 *    (a timer on the client's clock, armed by that append, cancelled by
 *    the roll-over, a failure or close), new appends wait while it is
 *    drained and closed (CLOSED, lastEntry, min/max timestamp) and a new
 *    segment is opened. An append batch is never split across segments.
 * 4. Close: waits for the appends in flight, closes the segment, closes
 *    the node connections. The coordination client stays the caller's.
 *
 * Failure handling:
 * - A storage node fails mid-segment: ensemble change (metadata first,
 *   nothing acknowledged until it is stored; BookKeeper #1591), then the
 *   unacknowledged entries go to the new node. `ensembleChanged` says so.
 * - Another writer opened the log: it fenced our segment, so a node
 *   answers SEGMENT_FENCED or our next metadata change conflicts. The
 *   writer stops at once: `fenced` is emitted, every unacknowledged and
 *   later append rejects with WriterFencedError, nothing is acknowledged
 *   after the fence. Entries acknowledged before it stay in the log: the
 *   recovery that fenced us keeps every entry that reached A nodes.
 * - Too few live nodes to open a segment: the append (or openLog) rejects
 *   with NotEnoughNodesError; the next append tries again. Too few to
 *   replace a failed one: the change is retried, and appends go on while
 *   the nodes left make the ack quorum (./ensemble-change.ts).
 * - The coordination session is lost (expired, the client closed or
 *   refused, or the connection lost for longer than the session timeout:
 *   the recipes' SessionGuard): another writer may recover the log at any
 *   moment, so the writer stops as if fenced: `lost` is emitted with a
 *   SessionLostError (cause: SessionExpiredError, ClientClosedError, ...),
 *   and every unacknowledged and later append rejects with it.
 *
 * Tailing (`subscribe`, ../reader/subscribe.ts) reads the log through its
 * own node connections; on the writer's current segment it waits for the
 * writer's own acknowledgements instead of long-polling the nodes.
 * `close()` ends the subscriptions (they return) and closes their
 * connections.
 */
import type { Client } from '../../client/index.js';
import { checkLogName } from '../metadata/layout.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import type { Log } from './log-api.js';
import { LogWriter } from './log-writer.js';
import { NodePool } from './node-pool.js';
import { resolveLogOptions, type OpenLogOptions } from './options.js';

export type { AppendItem, AppendOptions, Log, LogEvents } from './log-api.js';
export type { ReadBound, ReadOptions } from '../reader/read-log.js';

/**
 * Opens log `name` for writing (creating it if missing), recovering its
 * last segment if a writer left it open, and opens a new segment. Throws
 * BadArgumentsError for a bad name or option, NotEnoughNodesError when
 * fewer than E storage nodes are live (or a recovery cannot reach
 * enough), MetadataConflictError when other writers kept winning the race.
 */
export async function openLog(client: Client, name: string, options: OpenLogOptions = {}): Promise<Log> {
  checkLogName(name);
  const resolved = resolveLogOptions(options);
  const store = new LogMetadataStore(client);
  const pool = new NodePool(client, { timeout: resolved.nodeTimeout, connectTimeout: resolved.connectTimeout, tls: resolved.tls });
  const log = new LogWriter(name, store, pool, resolved);
  try {
    await log.start();
  } catch (error) {
    await log.close().catch(() => undefined);
    throw error;
  }
  return log;
}
