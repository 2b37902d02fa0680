/**
 * The replicas check (BookKeeper's replicas check, done per member): a live
 * member of an ensemble must hold every entry whose write set names it, and
 * liveness alone does not say it does. A node readmitted into its own
 * ensemble after a restart (the writer's ensemble change when no spare is
 * live) missed the entries written while it was away; a node that found a
 * corrupt copy (at open, on a read or in a scrub) no longer holds it.
 *
 * For each member, the auditor asks the node which entries of the segment
 * it holds (HELD_ENTRIES, as ranges: one small request per member and
 * segment), subtracts them from what the striping says it must hold
 * (entry e goes to W of the E members starting at e mod E), and copies
 * each missing entry onto it from a replica that holds it (recovery adds,
 * each acknowledged after the node's fsync). Membership does not change,
 * so the metadata is not written: data only.
 *
 * What is checked: the whole of a CLOSED segment, and the closed
 * fragments of an OPEN one (every ensemble but the last: each of their
 * entries was acknowledged before the writer moved on, so A copies exist,
 * and the writer never writes them again). IN_RECOVERY segments are left
 * to their recovery.
 *
 * Failures (typed, from the calls): the member failing (its connection,
 * NodeDisconnectedError, TimeoutError, its storage's errors) or an entry no
 * other replica returns (NotEnoughNodesError; a source dying mid-copy is
 * replaced by the other replicas, entry by entry) fail that member's
 * check; the auditor counts it and tries again at its next pass.
 */
import type { SegmentMetadata } from '../metadata/records.js';
import type { EntryRange } from '../protocol/messages/held-entries.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import { copyEntries, type RepairContext } from './repair.js';
import { ensembleSpan, entriesOfMember } from './replication.js';

/** The entries a live member lacked and that a replicas check copied onto it. */
export interface RefillResult {
  /** The segment checked. */
  readonly segmentId: number;
  /** The log it belongs to. */
  readonly log: string;
  /** The member (instance id) that lacked entries. */
  readonly node: string;
  /** Entries copied onto it. */
  readonly entries: number;
  /** Bytes of entry data copied. */
  readonly bytes: number;
}

/** The ensembles the replicas check covers, and up to which entry: all of a CLOSED segment, the closed fragments of an OPEN one. */
function checkedSpan(segment: SegmentMetadata): { count: number; lastEntry: number } {
  if (segment.state === 'CLOSED') return { count: segment.ensembles.length, lastEntry: segment.lastEntry };
  if (segment.state === 'OPEN') return { count: segment.ensembles.length - 1, lastEntry: Number.MAX_SAFE_INTEGER };
  return { count: 0, lastEntry: -1 };
}

/**
 * The members (instance ids) of `segment` the replicas check covers: those
 * of an ensemble holding entries ({@link requiredEntries} says which). A
 * pass asks this of every segment; the entries themselves only for the
 * members it checks.
 */
export function checkedMembers(segment: SegmentMetadata): string[] {
  const { count, lastEntry } = checkedSpan(segment);
  const out = new Set<string>();
  for (let i = 0; i < count; i++) {
    const { from, to } = ensembleSpan(segment, i, lastEntry);
    if (from <= to) for (const node of segment.ensembles[i]!.nodes) out.add(node);
  }
  return [...out];
}

/**
 * What member `node` of `segment` must hold, ascending: of a CLOSED
 * segment every entry up to its last; of an OPEN one the entries of its
 * closed fragments (every ensemble but the last). Empty for anything else.
 */
export function requiredEntries(segment: SegmentMetadata, node: string): number[] {
  const { count, lastEntry } = checkedSpan(segment);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    // Not push(...): a spread of a few hundred thousand ids overflows the stack.
    if (segment.ensembles[i]!.nodes.includes(node)) for (const e of entriesOfMember(segment, i, node, lastEntry)) out.push(e);
  }
  return out;
}

/** The ids of `required` (ascending) that no range of `held` (ascending, disjoint) contains. */
export function missingFrom(required: readonly number[], held: readonly EntryRange[]): number[] {
  const out: number[] = [];
  let r = 0;
  for (const e of required) {
    while (r < held.length && held[r]![1] < e) r++;
    if (r === held.length || held[r]![0] > e) out.push(e);
  }
  return out;
}

/**
 * Checks one live member of segment `id`: asks it which of `required`
 * (ascending, non-empty) it holds (`verify`: after a CRC scrub of the
 * range) and copies the rest onto it from the other replicas. Resolves
 * with what it copied (0 entries when nothing was missing). Rejects as the
 * file comment says, or with the signal's reason.
 */
export async function refillMember(ctx: RepairContext, id: number, segment: SegmentMetadata, node: string, required: readonly number[], verify: boolean): Promise<RefillResult> {
  const member = await ctx.pool.get(node);
  const held = await member.heldEntries(id, { fromEntry: required[0]!, toEntry: required[required.length - 1]!, verify });
  const missing = missingFrom(required, held);
  let bytes = 0;
  const put = async (entry: LogEntry): Promise<void> => {
    await member.addEntry(entry, { recovery: true });
    bytes += entry.data.length;
    ctx.copied(entry.data.length);
  };
  await copyEntries(ctx, id, segment, node, missing, put);
  return { segmentId: id, log: segment.log, node, entries: missing.length, bytes };
}
