/**
 * Recovery of a segment whose writer is gone or is being replaced
 * (BookKeeper's LedgerRecoveryOp), top to bottom:
 *
 * 1. Mark it IN_RECOVERY by compare-and-set: from then on its old writer's
 *    metadata changes (an ensemble change, its close) fail, so it stops.
 * 2. Fence it on the nodes of its last ensemble (the only nodes its writer
 *    still sends to) until no write set keeps A unfenced nodes: no ack
 *    quorum can form any more, so the old writer can never get another
 *    entry acknowledged. Fewer answers than that: NotEnoughNodesError.
 * 3. The fence replies carry each node's last-add-confirmed; every entry up
 *    to the highest (and up to the last ensemble's first entry - 1, which
 *    was acknowledged when the ensemble changed) was acknowledged.
 * 4. Read forward from there with fencing recovery reads: an entry any
 *    replica returns is written again to its whole write set with recovery
 *    adds (accepted by fenced nodes) and must reach A of them. Nodes that
 *    did not answer the fence are replaced first by live ones, from the
 *    first entry written again on (stored with the close). The first
 *    entry that W-A+1 nodes of its write set say they do not have (and no
 *    node returns) cannot have been acknowledged, so the segment ends
 *    just before it.
 * 5. Close it by compare-and-set at that last entry, with the timestamps
 *    of its first and last entries, and the new ensemble if step 4 made one.
 *
 * Another recovery may run at the same time: both fence and read the same
 * entries, and the loser's compare-and-set fails; it reads the record
 * again and returns it CLOSED. Recovery is safe to repeat from any step.
 */
import type { HerdError } from '../../errors.js';
import { NoEntryError, NotEnoughNodesError } from '../errors.js';
import { MetadataConflictError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { ensembleOf, writeSetOf, type SegmentMetadata, type Versioned } from '../metadata/records.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { NodePool } from './node-pool.js';
import { ackQuorumCanForm, pickNodes } from './quorum.js';

/** Recovers segment `id` (read as `current`) and resolves with its CLOSED record. */
export async function recoverSegment(store: LogMetadataStore, pool: NodePool, id: number, current: Versioned<SegmentMetadata>): Promise<Versioned<SegmentMetadata>> {
  for (;;) {
    let segment = current;
    if (segment.value.state === 'CLOSED') return segment;
    try {
      if (segment.value.state === 'OPEN') segment = await store.updateSegment(id, segment, { ...segment.value, state: 'IN_RECOVERY' });
      const end = await findEnd(pool, id, segment.value);
      return await store.updateSegment(id, segment, { ...segment.value, state: 'CLOSED', ...end });
    } catch (error) {
      if (!(error instanceof MetadataConflictError)) throw error;
      current = await store.readSegment(id);
    }
  }
}

interface SegmentEnd {
  /** The segment's ensembles, with a new last one when nodes that did not answer the fence were replaced. */
  readonly ensembles: SegmentMetadata['ensembles'];
  readonly lastEntry: number;
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
}

/** Steps 2 to 4: fences, reads forward and re-replicates; the segment's last entry and time range. */
async function findEnd(pool: NodePool, id: number, segment: SegmentMetadata): Promise<SegmentEnd> {
  const last = segment.ensembles[segment.ensembles.length - 1]!;
  const replies = await Promise.allSettled(last.nodes.map((n) => pool.get(n).then((c) => c.fence(id))));
  const unfenced = new Set(last.nodes.filter((_, i) => replies[i]!.status === 'rejected'));
  if (ackQuorumCanForm(segment, last.nodes, unfenced)) {
    throw new NotEnoughNodesError(`recovering segment ${id}: could not fence it on enough of [${last.nodes.join(', ')}] (${reasons(replies)})`);
  }
  let confirmed = last.firstEntry - 1;
  for (const r of replies) if (r.status === 'fulfilled') confirmed = Math.max(confirmed, r.value.lastAddConfirmed);

  // Entries are read where the old writer put them and written again where they will stay.
  const target = await replaceUnfenced(pool, segment, unfenced, confirmed + 1);
  let lastEntry = confirmed;
  let lastFound: LogEntry | undefined;
  for (let e = confirmed + 1; ; e++) {
    const found = await recoveryRead(pool, id, segment, e);
    if (found === undefined) break;
    await rereplicate(pool, target, found);
    lastEntry = e;
    lastFound = found;
  }
  if (lastEntry < 0) return { ensembles: target.ensembles, lastEntry, minTimestamp: null, maxTimestamp: null };
  const first = await readAny(pool, id, segment, 0);
  const end = lastFound ?? (await readAny(pool, id, segment, lastEntry));
  return { ensembles: target.ensembles, lastEntry, minTimestamp: first.timestamp, maxTimestamp: end.timestamp };
}

/**
 * The segment with the nodes that did not answer the fence (failed, most
 * likely) replaced by live nodes outside the ensemble, from `firstEntry`
 * (the first entry recovery writes again) on, so that entries can reach A
 * copies even when W = A (BookKeeper changes the ensemble during recovery
 * too). As it was when nothing needs replacing or no live node can.
 */
async function replaceUnfenced(pool: NodePool, segment: SegmentMetadata, unfenced: ReadonlySet<string>, firstEntry: number): Promise<SegmentMetadata> {
  if (unfenced.size === 0) return segment;
  const last = segment.ensembles[segment.ensembles.length - 1]!;
  const live = (await pool.liveNodes()).map((r) => r.instanceId).filter((n) => !last.nodes.includes(n));
  if (live.length < unfenced.size) return segment;
  const replacements = pickNodes(live, unfenced.size, new Set(), 'recovery');
  const nodes = last.nodes.map((n) => (unfenced.has(n) ? replacements.shift()! : n));
  const kept = segment.ensembles.filter((e) => e.firstEntry < firstEntry);
  return { ...segment, ensembles: [...kept, { firstEntry, nodes }] };
}

/**
 * Entry `e` from any node of its write set (a fencing read), or undefined
 * when W-A+1 of them said they do not have it: then fewer than A can, so it
 * was never acknowledged. "Missing" is decided only once every node of the
 * write set answered (a failed node answers with its connection error, a
 * hung one after `nodeTimeout`), so an entry one node holds is kept rather
 * than dropped by a race between the replies; both outcomes are safe.
 */
async function recoveryRead(pool: NodePool, id: number, segment: SegmentMetadata, e: number): Promise<LogEntry | undefined> {
  const writeSet = writeSetOf(segment, e);
  const needed = segment.writeQuorum - segment.ackQuorum + 1;
  return new Promise((resolve, reject) => {
    let missing = 0;
    let answered = 0;
    const errors: unknown[] = [];
    for (const node of writeSet) {
      pool
        .get(node)
        .then((c) => c.readEntry(id, e, { fence: true }))
        .then(
          (entry) => resolve(entry),
          (error: unknown) => {
            if (error instanceof NoEntryError) missing++;
            else errors.push(error);
          },
        )
        .finally(() => {
          if (++answered < writeSet.length) return;
          if (missing >= needed) resolve(undefined);
          else reject(new NotEnoughNodesError(`recovering segment ${id}: entry ${e} neither found nor known missing on [${writeSet.join(', ')}] (${errors.map(text).join('; ')})`));
        });
    }
  });
}

/** Writes a found entry again to its whole write set with recovery adds; A of them must confirm. */
async function rereplicate(pool: NodePool, segment: SegmentMetadata, entry: LogEntry): Promise<void> {
  const writeSet = writeSetOf(segment, entry.entryId);
  const results = await Promise.allSettled(writeSet.map((n) => pool.get(n).then((c) => c.addEntry(entry, { recovery: true }))));
  if (results.filter((r) => r.status === 'fulfilled').length < segment.ackQuorum) {
    throw new NotEnoughNodesError(`recovering segment ${entry.segmentId}: entry ${entry.entryId} could not be written again to ${segment.ackQuorum} of [${writeSet.join(', ')}] (${reasons(results)})`);
  }
}

/** Entry `e` from the first node of its write set that returns it. */
async function readAny(pool: NodePool, id: number, segment: SegmentMetadata, e: number): Promise<LogEntry> {
  const errors: unknown[] = [];
  for (const node of writeSetOf(segment, e)) {
    try {
      return await (await pool.get(node)).readEntry(id, e);
    } catch (error) {
      errors.push(error);
    }
  }
  const nodes = ensembleOf(segment, e).nodes;
  throw new NotEnoughNodesError(`segment ${id}: no node of [${nodes.join(', ')}] returned entry ${e} (${errors.map(text).join('; ')})`);
}

function text(error: unknown): string {
  return error instanceof Error ? `${(error as HerdError).code ?? error.name}: ${error.message}` : String(error);
}

function reasons(results: readonly PromiseSettledResult<unknown>[]): string {
  return results.flatMap((r) => (r.status === 'rejected' ? [text(r.reason)] : [])).join('; ') || 'no failures';
}
