/**
 * Which copies of a segment's entries are missing, given which storage
 * nodes are live. Pure: the auditor (./auditor.ts) decides what to repair
 * with it, and `herd log status` shows it.
 *
 * Entry e of a segment lives on its write set: W nodes of the ensemble that
 * holds it, round-robin from index e mod E (records.ts: writeSetOf). So a
 * member of an ensemble holds, of that ensemble's span of entries, exactly
 * those whose write set names it; with E = W that is every entry of the span.
 */
import { writeSetOf, type SegmentMetadata } from '../metadata/records.js';

/** The copies one member of one ensemble should hold and that are missing because it is not live. */
export interface MissingMember {
  /** Index of the ensemble in the segment's `ensembles`. */
  readonly ensembleIndex: number;
  /** The member (instance id) that is not live. */
  readonly node: string;
  /** The entries it should hold there, in order. */
  readonly entries: readonly number[];
}

/** What {@link segmentReplication} finds. */
export interface SegmentReplication {
  /** Members of ensembles holding entries that are not live, with what they should hold. */
  readonly missing: readonly MissingMember[];
  /** Entries with at least one copy on a node that is not live. */
  readonly underReplicatedEntries: number;
}

/** The span of entries ensemble `i` holds, [from, to] (to < from when empty), given the segment's last entry. */
export function ensembleSpan(segment: SegmentMetadata, i: number, lastEntry: number): { from: number; to: number } {
  const next = segment.ensembles[i + 1];
  const from = segment.ensembles[i]!.firstEntry;
  return { from, to: Math.min(lastEntry, next === undefined ? lastEntry : next.firstEntry - 1) };
}

/** The entries of ensemble `i` (up to `lastEntry`) whose write set names `node`. */
export function entriesOfMember(segment: SegmentMetadata, i: number, node: string, lastEntry: number): number[] {
  const { from, to } = ensembleSpan(segment, i, lastEntry);
  const out: number[] = [];
  if (segment.writeQuorum >= segment.ensembleSize) {
    // Not striped: every member holds the whole span (no write set per entry: an audit pass walks millions).
    if (segment.ensembles[i]!.nodes.includes(node)) for (let e = from; e <= to; e++) out.push(e);
    return out;
  }
  for (let e = from; e <= to; e++) if (writeSetOf(segment, e).includes(node)) out.push(e);
  return out;
}

/**
 * The missing copies of a segment whose entries run up to `lastEntry` (its
 * record's for a CLOSED one; for an open one, the last confirmed entry),
 * for nodes `isLive` says are not live. Ensembles with no entries are
 * skipped: their members hold nothing.
 */
export function segmentReplication(segment: SegmentMetadata, lastEntry: number, isLive: (node: string) => boolean): SegmentReplication {
  const missing: MissingMember[] = [];
  let underReplicatedEntries = 0;
  segment.ensembles.forEach((ensemble, i) => {
    const { from, to } = ensembleSpan(segment, i, lastEntry);
    if (from > to) return;
    const dead = ensemble.nodes.filter((n) => !isLive(n));
    if (dead.length === 0) return;
    for (const node of dead) missing.push({ ensembleIndex: i, node, entries: entriesOfMember(segment, i, node, lastEntry) });
    if (segment.writeQuorum >= segment.ensembleSize) underReplicatedEntries += to - from + 1;
    else for (let e = from; e <= to; e++) if (writeSetOf(segment, e).some((n) => !isLive(n))) underReplicatedEntries++;
  });
  return { missing, underReplicatedEntries };
}
