/**
 * The metadata records of a log and its segments, as stored (JSON) in the
 * coordination store, and the rules every change to them obeys. Pure: no
 * I/O here; src/log/metadata/metadata-store.ts reads and writes them by
 * compare-and-set.
 *
 * A segment's life (BookKeeper's ledger states):
 * ```
 *   OPEN ──────────────► CLOSED     its writer closes it
 *     │                    ▲
 *     └──► IN_RECOVERY ────┘        a new writer (or an auditor) fenced it
 *            │    ▲                 and closes it at the last entry that
 *            └────┘                 reached the ack quorum; another recovery
 *                                   may take over an unfinished one
 * ```
 * A CLOSED segment's entries, last entry and time range never change
 * again. Only two things happen to it: the auditor (src/log/repair) may
 * replace one member of one of its ensembles by a node it has first copied
 * that member's entries to ({@link replaceEnsembleMember}), and retention
 * deletes it. Ensemble changes by a writer (a storage node replaced
 * mid-segment) happen while the segment is OPEN or IN_RECOVERY, and each
 * names the first entry written to the new ensemble: entries before it stay
 * on the nodes that hold them.
 */
import { BadArgumentsError, InvalidStateError } from '../../errors.js';

/** Replication of a log's segments: ensemble size E ≥ write quorum W ≥ ack quorum A ≥ 1. */
export interface Quorums {
  /** E: how many storage nodes a segment's entries are striped over. */
  readonly ensembleSize: number;
  /** W: how many nodes of the ensemble each entry is written to. */
  readonly writeQuorum: number;
  /** A: how many of the W nodes must have fsynced an entry before it is acknowledged. */
  readonly ackQuorum: number;
}

/**
 * How long a log keeps its entries (src/log/retention): whole CLOSED
 * segments are deleted, oldest first, once they are older than `maxAge` or
 * while the log's closed segments hold more than `maxBytes`. Either may be
 * left out; an empty policy keeps everything.
 */
export interface Retention {
  /** Delete a closed segment once its newest entry is this old, in ms (wall clock, against the entries' timestamps). */
  readonly maxAge?: number;
  /** Delete the oldest closed segments while the log's closed segments hold more than this many bytes of entry data. */
  readonly maxBytes?: number;
}

/** The stored record of a log: its replication and its segments, oldest first. */
export interface LogMetadata extends Quorums {
  readonly format: 1;
  /** Segment ids, oldest first; the last one may be OPEN. */
  readonly segments: readonly number[];
  /** When the log was created, ms since the epoch. */
  readonly createdAt: number;
  /** The log's retention policy; absent: entries are kept for ever. */
  readonly retention?: Retention;
}

/** The state of a segment; see the file's diagram. */
export type SegmentState = 'OPEN' | 'IN_RECOVERY' | 'CLOSED';

/** The nodes holding a segment's entries from `firstEntry` on (until the next ensemble's `firstEntry`). */
export interface Ensemble {
  readonly firstEntry: number;
  /** Storage node instance ids, E of them; entry e goes to W of them starting at index e mod E. */
  readonly nodes: readonly string[];
}

/** The stored record of a segment. */
export interface SegmentMetadata extends Quorums {
  readonly format: 1;
  /** The log the segment belongs to. */
  readonly log: string;
  readonly state: SegmentState;
  /** The writer that opened it (its `identifier`). */
  readonly writer: string;
  /** Ensembles in order of `firstEntry`; the first starts at entry 0. */
  readonly ensembles: readonly Ensemble[];
  /** The last entry of a CLOSED segment (-1 when it holds none); -1 while OPEN or IN_RECOVERY. */
  readonly lastEntry: number;
  /** The timestamps of its first and last entries, ms since the epoch; null while unknown (OPEN, or CLOSED and empty). */
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
  /** When the segment was opened, ms since the epoch. */
  readonly createdAt: number;
}

/** A record with the znode version it was read at (the compare-and-set token). */
export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** The default replication (BookKeeper's 3/3/2): one node may fail with no write stalling. */
export const DEFAULT_QUORUMS: Quorums = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

/** Throws BadArgumentsError unless E ≥ W ≥ A ≥ 1, all integers. */
export function checkQuorums(q: Quorums): void {
  const { ensembleSize: e, writeQuorum: w, ackQuorum: a } = q;
  if (![e, w, a].every((n) => Number.isInteger(n) && n >= 1) || !(e >= w && w >= a)) {
    throw new BadArgumentsError(`quorums E=${e} W=${w} A=${a}: need integers with E >= W >= A >= 1`);
  }
}

const NEXT_STATES: Record<SegmentState, readonly SegmentState[]> = {
  OPEN: ['OPEN', 'IN_RECOVERY', 'CLOSED'],
  IN_RECOVERY: ['IN_RECOVERY', 'CLOSED'],
  // Only by a repair replacing one ensemble member (checkMemberReplacement).
  CLOSED: ['CLOSED'],
};

/** Throws BadArgumentsError unless `r` is a retention policy: positive safe integers, each optional. */
export function checkRetention(r: Retention): void {
  if (typeof r !== 'object' || r === null) throw new BadArgumentsError('retention must be an object { maxAge?, maxBytes? }');
  for (const key of ['maxAge', 'maxBytes'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)) {
      throw new BadArgumentsError(`retention.${key} must be a positive integer, got ${String(v)}`);
    }
  }
}

/** Only the two fields of a retention policy (those set). */
export function pickRetention(r: Retention): Retention {
  return { ...(r.maxAge !== undefined ? { maxAge: r.maxAge } : {}), ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}) };
}

/**
 * The CLOSED segment with member `lost` of its ensemble `ensembleIndex`
 * replaced by `replacement` (a repair, once the replacement holds every
 * entry `lost` held there). Pure. Throws InvalidStateError unless the
 * segment is CLOSED, BadArgumentsError when `lost` is not in that ensemble
 * or `replacement` already is.
 */
export function replaceEnsembleMember(segment: SegmentMetadata, ensembleIndex: number, lost: string, replacement: string): SegmentMetadata {
  if (segment.state !== 'CLOSED') throw new InvalidStateError(`segment of log ${segment.log}: only a CLOSED segment is repaired, this one is ${segment.state}`);
  const ensemble = segment.ensembles[ensembleIndex];
  if (ensemble === undefined) throw new BadArgumentsError(`segment of log ${segment.log}: no ensemble ${ensembleIndex}`);
  const at = ensemble.nodes.indexOf(lost);
  if (at < 0) throw new BadArgumentsError(`segment of log ${segment.log}: ${lost} is not in ensemble ${ensembleIndex}`);
  if (ensemble.nodes.includes(replacement)) throw new BadArgumentsError(`segment of log ${segment.log}: ${replacement} is in ensemble ${ensembleIndex} already`);
  const nodes = ensemble.nodes.map((n, i) => (i === at ? replacement : n));
  const next = { ...segment, ensembles: segment.ensembles.map((e, i) => (i === ensembleIndex ? { firstEntry: e.firstEntry, nodes } : e)) };
  checkMemberReplacement(segment, next);
  return next;
}

/**
 * Throws unless `next` is `current` (CLOSED) with exactly one member of one
 * ensemble replaced by a node not in that ensemble: the only change a
 * CLOSED segment allows (InvalidStateError otherwise).
 */
function checkMemberReplacement(current: SegmentMetadata, next: SegmentMetadata): void {
  const refuse = (why: string): never => {
    throw new InvalidStateError(`segment of log ${current.log}: CLOSED cannot change except by a repair replacing one ensemble member (${why})`);
  };
  const { ensembles: a, ...restA } = current;
  const { ensembles: b, ...restB } = next;
  const keys = new Set([...Object.keys(restA), ...Object.keys(restB)]) as Set<keyof typeof restA>;
  for (const key of keys) if (restA[key] !== restB[key]) refuse(`${key} changed`);
  if (a.length !== b.length) refuse('the ensembles changed');
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.firstEntry !== y.firstEntry || x.nodes.length !== y.nodes.length) refuse(`ensemble ${i} moved`);
    const diff = x.nodes.filter((n, k) => n !== y.nodes[k]).length;
    changed += diff;
  }
  if (changed !== 1) refuse(changed === 0 ? 'nothing changed' : `${changed} members changed`);
  checkEnsembles(next);
}

/**
 * Throws unless `next` is a legal successor of `current`: the state moves
 * along the diagram (a CLOSED segment only by a repair replacing one
 * ensemble member), the log, writer, quorums and creation time never
 * change, ensembles are only appended (or the last one replaced when no
 * entry was written to it) with increasing `firstEntry` and E nodes each,
 * and a CLOSED record has a consistent last entry and time range.
 */
export function checkSegmentChange(current: SegmentMetadata, next: SegmentMetadata): void {
  if (!NEXT_STATES[current.state].includes(next.state)) {
    throw new InvalidStateError(`segment of log ${current.log}: ${current.state} cannot become ${next.state}`);
  }
  if (current.state === 'CLOSED') return checkMemberReplacement(current, next);
  const fixed = ['log', 'writer', 'ensembleSize', 'writeQuorum', 'ackQuorum', 'createdAt'] as const;
  for (const key of fixed) {
    if (current[key] !== next[key]) throw new BadArgumentsError(`segment of log ${current.log}: ${key} cannot change`);
  }
  checkEnsembles(next);
  const kept = current.ensembles.slice(0, -1);
  for (let i = 0; i < kept.length; i++) {
    if (!sameEnsemble(kept[i]!, next.ensembles[i])) {
      throw new BadArgumentsError(`segment of log ${current.log}: ensemble ${i} (from entry ${kept[i]!.firstEntry}) cannot change`);
    }
  }
  // The last ensemble may be replaced by one starting at the same entry (a
  // second failure before that entry was acknowledged), not dropped.
  const last = current.ensembles[current.ensembles.length - 1]!;
  const successor = next.ensembles[kept.length];
  if (successor === undefined || successor.firstEntry !== last.firstEntry) {
    throw new BadArgumentsError(`segment of log ${current.log}: the ensemble from entry ${last.firstEntry} cannot be dropped`);
  }
  if (next.state === 'CLOSED') checkClosed(next);
}

function sameEnsemble(a: Ensemble, b: Ensemble | undefined): boolean {
  return b !== undefined && a.firstEntry === b.firstEntry && a.nodes.length === b.nodes.length && a.nodes.every((n, i) => n === b.nodes[i]);
}

function checkEnsembles(s: SegmentMetadata): void {
  if (s.ensembles.length === 0 || s.ensembles[0]!.firstEntry !== 0) {
    throw new BadArgumentsError(`segment of log ${s.log}: the first ensemble must start at entry 0`);
  }
  let previous = -1;
  for (const ensemble of s.ensembles) {
    if (!Number.isSafeInteger(ensemble.firstEntry) || ensemble.firstEntry <= previous) {
      throw new BadArgumentsError(`segment of log ${s.log}: ensembles must start at increasing entries`);
    }
    previous = ensemble.firstEntry;
    if (ensemble.nodes.length !== s.ensembleSize || new Set(ensemble.nodes).size !== s.ensembleSize) {
      throw new BadArgumentsError(`segment of log ${s.log}: an ensemble needs ${s.ensembleSize} distinct nodes, not [${ensemble.nodes.join(', ')}]`);
    }
  }
}

function checkClosed(s: SegmentMetadata): void {
  if (!Number.isSafeInteger(s.lastEntry) || s.lastEntry < -1) {
    throw new BadArgumentsError(`segment of log ${s.log}: lastEntry ${s.lastEntry} is not an entry id or -1`);
  }
  const empty = s.lastEntry === -1;
  const timed = s.minTimestamp !== null && s.maxTimestamp !== null && s.minTimestamp <= s.maxTimestamp;
  if (empty ? s.minTimestamp !== null || s.maxTimestamp !== null : !timed) {
    throw new BadArgumentsError(`segment of log ${s.log}: a closed segment with entries has minTimestamp <= maxTimestamp, an empty one neither`);
  }
  const lastStart = s.ensembles[s.ensembles.length - 1]!.firstEntry;
  if (lastStart > s.lastEntry + 1) {
    throw new BadArgumentsError(`segment of log ${s.log}: an ensemble starts at entry ${lastStart}, after the last entry ${s.lastEntry}`);
  }
}

/** The new record of a segment a writer opens on `nodes`. */
export function openSegment(log: string, writer: string, quorums: Quorums, nodes: readonly string[], now: number): SegmentMetadata {
  const segment: SegmentMetadata = {
    format: 1,
    log,
    state: 'OPEN',
    writer,
    ...pickQuorums(quorums),
    ensembles: [{ firstEntry: 0, nodes: [...nodes] }],
    lastEntry: -1,
    minTimestamp: null,
    maxTimestamp: null,
    createdAt: now,
  };
  checkEnsembles(segment);
  return segment;
}

/** The ensemble that holds `entry` of a segment. */
export function ensembleOf(segment: SegmentMetadata, entry: number): Ensemble {
  let found = segment.ensembles[0]!;
  for (const ensemble of segment.ensembles) if (ensemble.firstEntry <= entry) found = ensemble;
  return found;
}

/** The W node ids entry `entry` is written to: round-robin over its ensemble, from index `entry mod E`. */
export function writeSetOf(segment: SegmentMetadata, entry: number): string[] {
  const { nodes } = ensembleOf(segment, entry);
  const out: string[] = [];
  for (let i = 0; i < segment.writeQuorum; i++) out.push(nodes[(entry + i) % nodes.length]!);
  return out;
}

/** Only the three quorum fields of `q` (a LogMetadata carries more). */
export function pickQuorums(q: Quorums): Quorums {
  return { ensembleSize: q.ensembleSize, writeQuorum: q.writeQuorum, ackQuorum: q.ackQuorum };
}
