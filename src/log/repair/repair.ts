/**
 * Repairing one lost member of one ensemble of a CLOSED segment
 * (BookKeeper's ReplicationWorker for one ledger fragment):
 *
 * 1. pick a live node outside that ensemble (a new node, or a wiped one
 *    that came back as a new empty instance: it is just another node);
 * 2. copy onto it every entry the lost member held there (its write-set
 *    entries), read from the surviving replicas, with recovery adds (so a
 *    fenced segment on that node takes them); each add resolves after the
 *    node's fsync;
 * 3. only then replace the member in the segment's record, by
 *    compare-and-set on the version read before the copy.
 *
 * Failure handling:
 * - A replica that fails, lacks the entry or holds a corrupt copy (the node
 *   checks each entry's CRC32C on read and answers CORRUPT_ENTRY, never the
 *   bytes) is skipped for the next replica of the entry's write set; an
 *   entry no surviving replica returns fails this repair
 *   (NotEnoughNodesError): the member is not replaced, and the next pass
 *   tries again (the lost node may come back).
 * - The target failing (or holding the entry with other bytes) fails this
 *   repair; the next pass picks a target again.
 * - Leadership lost mid-copy (`signal`): the copy stops between entries and
 *   nothing is written to the metadata. Copies already made stay on the
 *   target: harmless, the record does not name it.
 * - The compare-and-set fails (another auditor repaired the segment, or
 *   retention deleted it): MetadataConflictError / NoSuchSegmentError; the
 *   copies stay on the target unnamed, and the caller reads the record
 *   again. So two auditors can never both replace a member: one
 *   compare-and-set wins, and the record only ever names a node that holds
 *   the entries.
 */
import { throwIfAborted } from '../../base/wait.js';
import { NotEnoughNodesError } from '../errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { writeSetOf, type SegmentMetadata, type Versioned } from '../metadata/records.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { NodePool } from '../writer/node-pool.js';
import { pickNodes } from '../writer/quorum.js';
import type { MissingMember } from './replication.js';

/** Adds in flight to the target at once. */
const WINDOW = 32;

/** One member replaced by a repair. */
export interface RepairResult {
  /** The segment repaired. */
  readonly segmentId: number;
  /** The log it belongs to. */
  readonly log: string;
  /** The ensemble repaired: its index in the segment's ensembles. */
  readonly ensembleIndex: number;
  /** That ensemble's first entry. */
  readonly firstEntry: number;
  /** The instance that was lost. */
  readonly replaced: string;
  /** The instance that holds its copies now. */
  readonly by: string;
  /** Entries copied. */
  readonly entries: number;
  /** Bytes of entry data copied. */
  readonly bytes: number;
}

/** What a repair needs: the metadata, the node connections, the live nodes, and where to count. */
export interface RepairContext {
  readonly store: LogMetadataStore;
  readonly pool: NodePool;
  /** Instance ids of the live nodes. */
  readonly live: ReadonlySet<string>;
  /** Aborted when the auditor loses its leadership or closes. */
  readonly signal: AbortSignal;
  /** Called for each entry copied, with its data's size. */
  readonly copied: (bytes: number) => void;
}

/**
 * Copies `missing`'s entries of segment `id` (read as `current`, CLOSED)
 * to a live node outside its ensemble, then replaces the member in the
 * record. Rejects with NotEnoughNodesError (no target, or an entry no
 * replica returned), the target's error, MetadataConflictError or
 * NoSuchSegmentError (see the file comment), or the signal's reason.
 */
export async function repairMember(ctx: RepairContext, id: number, current: Versioned<SegmentMetadata>, missing: MissingMember): Promise<RepairResult> {
  const segment = current.value;
  const ensemble = segment.ensembles[missing.ensembleIndex]!;
  const [target] = pickNodes([...ctx.live], 1, new Set(ensemble.nodes), `repairing segment ${id}`);
  const to = await ctx.pool.get(target!);
  let bytes = 0;
  const put = async (entry: LogEntry): Promise<void> => {
    await to.addEntry(entry, { recovery: true });
    bytes += entry.data.length;
    ctx.copied(entry.data.length);
  };
  await copyEntries(ctx, id, segment, missing.node, missing.entries, put);
  throwIfAborted(ctx.signal, `repairing segment ${id}`);
  await ctx.store.replaceEnsembleMember(id, current, missing.ensembleIndex, missing.node, target!);
  return { segmentId: id, log: segment.log, ensembleIndex: missing.ensembleIndex, firstEntry: ensemble.firstEntry, replaced: missing.node, by: target!, entries: missing.entries.length, bytes };
}

/**
 * Reads `entries` (ascending) of segment `id` from the live replicas other
 * than `node` and hands each to `put`, up to {@link WINDOW} at once. The
 * bulk comes in one streamed range read from the replica that holds the
 * most of them (with E = W: all); what it did not deliver (it lacked them,
 * held a corrupt copy, or failed mid-stream) is read entry by entry from
 * the other replicas. Rejects with NotEnoughNodesError for an entry no
 * replica returned, `put`'s error, or the signal's reason.
 */
export async function copyEntries(ctx: RepairContext, id: number, segment: SegmentMetadata, node: string, entries: readonly number[], put: (entry: LogEntry) => Promise<void>): Promise<void> {
  if (entries.length === 0) return;
  const sourcesOf = (e: number): string[] => writeSetOf(segment, e).filter((n) => n !== node && ctx.live.has(n));
  const pending = new Set(entries);
  const window = new Window(WINDOW);
  const primary = bestSource(entries.map(sourcesOf));
  if (primary !== undefined) {
    try {
      const from = await ctx.pool.get(primary);
      for await (const entry of from.readRange(id, { fromEntry: entries[0]!, toEntry: entries[entries.length - 1]! })) {
        throwIfAborted(ctx.signal, `repairing segment ${id}`);
        if (!pending.delete(entry.entryId)) continue;
        await window.add(put(entry));
      }
    } catch (error) {
      // A failed or corrupt source: the entries it did not deliver are read one by one below.
      window.check();
      if (ctx.signal.aborted) throw error;
    }
  }
  for (const e of [...pending].sort((a, b) => a - b)) {
    throwIfAborted(ctx.signal, `repairing segment ${id}`);
    await window.add(readFromAny(ctx, id, e, sourcesOf(e)).then(put));
  }
  await window.drain();
}

/** The node that appears in the most source lists. */
function bestSource(lists: readonly string[][]): string | undefined {
  const counts = new Map<string, number>();
  for (const list of lists) for (const n of list) counts.set(n, (counts.get(n) ?? 0) + 1);
  let best: string | undefined;
  for (const [n, c] of counts) if (best === undefined || c > counts.get(best)!) best = n;
  return best;
}

/** Entry `e` from the first of `sources` that returns a good copy. */
async function readFromAny(ctx: RepairContext, id: number, e: number, sources: readonly string[]): Promise<LogEntry> {
  const errors: string[] = [];
  for (const node of sources) {
    try {
      return await (await ctx.pool.get(node)).readEntry(id, e);
    } catch (error) {
      errors.push(`${node}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new NotEnoughNodesError(`repairing segment ${id}: no surviving replica returned entry ${e} (${errors.join('; ') || 'no live replica'})`);
}

/** At most `size` promises in flight; the first failure is thrown by the next add, check or drain. */
class Window {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly size: number) {}

  async add(work: Promise<void>): Promise<void> {
    const tracked = work.then(
      () => {
        this.inFlight.delete(tracked);
      },
      (error: unknown) => {
        this.inFlight.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.inFlight.add(tracked);
    if (this.inFlight.size >= this.size) await Promise.race(this.inFlight);
    this.check();
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.check();
  }
}
