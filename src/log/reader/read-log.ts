/**
 * Reading a log by position or time range (BookKeeper's reader, without
 * tailing): the segments come from the metadata, the entries from any
 * replica, in log order.
 *
 * - Segments: every segment of the log within the position bounds; a
 *   CLOSED one only when it has entries and its [minTimestamp,
 *   maxTimestamp] meets the time bounds. An OPEN (or IN_RECOVERY) segment
 *   is read up to its last confirmed entry: the writer's own when the
 *   caller is that writer, otherwise the highest last-add-confirmed its
 *   last ensemble's nodes hold. Entries after it may still be recovered
 *   away, so they are not served.
 * - Entries: each ensemble's span of the segment is streamed from one of
 *   its nodes (READ_RANGE); a node that fails, or whose stream has a hole
 *   (an entry it never got: only A of W copies are certain), is left for
 *   the next node of the ensemble, from the first entry not yet delivered
 *   (round and round while some node makes progress).
 *   When E > W (striped ensembles) no node holds a whole span, so entries
 *   are read one by one from their write sets, with the same failover.
 * - Time bounds: timestamps never decrease along a log, so a span's
 *   entries in a time range are contiguous. Its first one is found on the
 *   node (READ_RANGE with fromTime and limit 1, the node's sparse time
 *   index), and the stream starts one entry before it, whose timestamp
 *   shows that a hole on the node did not hide an entry in range. The
 *   stream carries `to` too, so the node stops at the first entry after
 *   it; a stream that ends before its span does is then checked (the next
 *   entry is after `to`, or the node lacks it). A closed segment's
 *   [minTimestamp, maxTimestamp] spares both steps where a bound does not
 *   cut it, and one that goes past `to` is the last read.
 * - Segment records are read a few ahead, so their round trips overlap
 *   the entries being streamed.
 *
 * Tailing (`subscribe`, waiting for new entries) is ./subscribe.ts.
 */
import { NoEntryError, NotEnoughNodesError } from '../errors.js';
import { flattenBatches } from './flatten.js';
import { NoSuchSegmentError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { writeSetOf, type SegmentMetadata } from '../metadata/records.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { EntryMaker } from '../protocol/messages/read-range.js';
import type { LogNodeClient } from '../node/node-client-api.js';
import type { NodePool } from '../writer/node-pool.js';
import { BadArgumentsError } from '../../errors.js';
import { isPosition, type LogPosition } from '../writer/position.js';

/** An entry read from a log. */
export interface LogRecord {
  /** Where it is in the log. */
  readonly position: LogPosition;
  /** When it was appended (as forced monotonic by its writer), epoch ms. */
  readonly timestamp: number;
  /**
   * Its bytes. Records read by one range read may share memory (views into
   * the node's reply of up to 256 KiB): copy `data` to keep a few records
   * long after the read.
   */
  readonly data: Buffer;
}

/** A read bound: a position, or a time as a Date or epoch ms. */
export type ReadBound = LogPosition | Date | number;

/** Options of {@link Log.read} and `readLog`: inclusive bounds, each optional. */
export interface ReadOptions {
  /** The first position, or the earliest timestamp, to return. Default: the log's start. */
  readonly from?: ReadBound;
  /** The last position, or the latest timestamp, to return. Default: the last acknowledged entry. */
  readonly to?: ReadBound;
}

/** The bounds a read option stands for (BadArgumentsError when it is neither a position nor a time). */
export function resolveBound(value: ReadBound | undefined, side: 'from' | 'to'): ReadBounds {
  if (value === undefined) return {};
  if (isPosition(value)) return side === 'from' ? { fromPosition: value } : { toPosition: value };
  const time = value instanceof Date ? value.getTime() : value;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new BadArgumentsError(`read: ${side} must be a position, a Date or epoch ms`);
  return side === 'from' ? { fromTime: time } : { toTime: time };
}

/** Bounds of a read, resolved: positions and epoch-ms times, each inclusive and optional. */
export interface ReadBounds {
  readonly fromPosition?: LogPosition | undefined;
  readonly toPosition?: LogPosition | undefined;
  readonly fromTime?: number | undefined;
  readonly toTime?: number | undefined;
}

/** Span of one segment to read: entry ids inclusive. */
interface Span {
  readonly from: number;
  readonly to: number;
  readonly nodes: readonly string[];
}

/**
 * The entries of log `name` within `bounds`, in order. `confirmedOf`
 * returns the caller's own last-add-confirmed for a segment it writes.
 * The items of {@link readEntryBatches}, taken from each batch without an
 * async generator step per record (./flatten.ts).
 */
export function readEntries(
  store: LogMetadataStore,
  pool: NodePool,
  name: string,
  bounds: ReadBounds,
  confirmedOf: (segmentId: number) => number | undefined = () => undefined,
): AsyncIterableIterator<LogRecord> {
  return flattenBatches(readEntryBatches(store, pool, name, bounds, confirmedOf));
}

/** {@link readEntries} as non-empty arrays of records in log order (one per node reply, at most). */
export async function* readEntryBatches(
  store: LogMetadataStore,
  pool: NodePool,
  name: string,
  bounds: ReadBounds,
  confirmedOf: (segmentId: number) => number | undefined = () => undefined,
): AsyncGenerator<LogRecord[]> {
  const { fromPosition, toPosition, fromTime, toTime } = bounds;
  const log = await store.readLog(name);
  const ids = log.value.segments.filter((id) => (fromPosition === undefined || id >= fromPosition.segmentId) && (toPosition === undefined || id <= toPosition.segmentId));
  const records: Promise<SegmentMetadata | undefined>[] = [];
  for (let i = 0; i < ids.length; i++) {
    while (records.length < Math.min(ids.length, i + READ_AHEAD)) records.push(segmentRecord(store, ids[records.length]!));
    const id = ids[i]!;
    const segment = await records[i]!;
    if (segment === undefined) continue; // removed by retention since the log was read
    let last: number;
    let from = fromTime;
    let to = toTime;
    // A closed segment holding an entry after `to`: every later entry is after it too (timestamps never decrease along a log).
    let ends = false;
    if (segment.state === 'CLOSED') {
      if (segment.lastEntry < 0) continue;
      if (fromTime !== undefined && segment.maxTimestamp! < fromTime) continue;
      if (toTime !== undefined && segment.minTimestamp! > toTime) break;
      last = segment.lastEntry;
      // A bound that every entry of the segment meets is no bound here: no entry to look for by time, no end to check.
      if (fromTime !== undefined && segment.minTimestamp! >= fromTime) from = undefined;
      if (toTime !== undefined && segment.maxTimestamp! <= toTime) to = undefined;
      ends = to !== undefined;
    } else {
      last = confirmedOf(id) ?? (await lastConfirmed(pool, id, segment));
    }
    const first = fromPosition !== undefined && id === fromPosition.segmentId ? fromPosition.entryId : 0;
    if (toPosition !== undefined && id === toPosition.segmentId) last = Math.min(last, toPosition.entryId);
    yield* readSegmentBatches(pool, id, segment, first, last, from, to);
    if (ends) break;
  }
}

/** Segment records read ahead of the one being streamed, so their round trips overlap its entries (and a run of skipped segments goes faster). */
const READ_AHEAD = 4;

/** A segment's record; undefined when it is gone (retention). Read ahead, it may never be awaited: its failure counts only where it is. */
function segmentRecord(store: LogMetadataStore, id: number): Promise<SegmentMetadata | undefined> {
  const record = store.readSegment(id).then(
    (v) => v.value,
    (error: unknown) => {
      if (error instanceof NoSuchSegmentError) return undefined;
      throw error;
    },
  );
  record.catch(() => {});
  return record;
}

/**
 * Entries `first`..`last` of one segment (within the time bounds), in
 * order, each ensemble's span from whichever of its nodes can serve it.
 * Rejects with NotEnoughNodesError when no replica can serve an entry.
 */
export function readSegment(pool: NodePool, id: number, segment: SegmentMetadata, first: number, last: number, fromTime?: number, toTime?: number): AsyncIterableIterator<LogRecord> {
  return flattenBatches(readSegmentBatches(pool, id, segment, first, last, fromTime, toTime));
}

/** {@link readSegment} as non-empty arrays of records. */
async function* readSegmentBatches(pool: NodePool, id: number, segment: SegmentMetadata, first: number, last: number, fromTime?: number, toTime?: number): AsyncGenerator<LogRecord[]> {
  for (const span of spans(segment, first, last)) yield* readSpan(pool, id, segment, span, fromTime, toTime);
}

/** The ensembles' spans within [first, last]. */
function spans(segment: SegmentMetadata, first: number, last: number): Span[] {
  const out: Span[] = [];
  segment.ensembles.forEach((ensemble, i) => {
    const next = segment.ensembles[i + 1];
    const from = Math.max(first, ensemble.firstEntry);
    const to = Math.min(last, next === undefined ? last : next.firstEntry - 1);
    if (from <= to) out.push({ from, to, nodes: ensemble.nodes });
  });
  return out;
}

/** The highest last-add-confirmed any node of the last ensemble holds for an open segment (at least what the ensemble change implies). */
export async function lastConfirmed(pool: NodePool, id: number, segment: SegmentMetadata): Promise<number> {
  const last = segment.ensembles[segment.ensembles.length - 1]!;
  const replies = await Promise.allSettled(last.nodes.map((n) => pool.get(n).then((c) => c.readLastEntry(id))));
  let confirmed = last.firstEntry - 1;
  for (const r of replies) if (r.status === 'fulfilled') confirmed = Math.max(confirmed, r.value.lastAddConfirmed);
  return confirmed;
}

/** A record of a segment's entry. */
function recordOf(id: number, e: LogEntry): LogRecord {
  return { position: { segmentId: id, entryId: e.entryId }, timestamp: e.timestamp, data: e.data };
}

/** A record built straight from a READ_RANGE reply's fields: two objects and the data's view per entry, nothing in between. */
const makeRecord: EntryMaker<LogRecord> = (segmentId, entryId, timestamp, _confirmed, data) => ({ position: { segmentId, entryId }, timestamp, data });

/**
 * A span's entries within the time bounds, a node reply's worth at a time,
 * from whichever of its nodes can serve them. Each READ_RANGE is bounded
 * by time on the node too: a stream that ran on past `to` would be sent
 * whole, decoded and dropped, and would hold up the next request on the
 * connection.
 */
async function* readSpan(pool: NodePool, id: number, segment: SegmentMetadata, span: Span, fromTime?: number, toTime?: number): AsyncGenerator<LogRecord[]> {
  if (segment.writeQuorum < segment.ensembleSize) {
    yield* readStriped(pool, id, segment, span, fromTime, toTime);
    return;
  }
  const errors: string[] = [];
  // Unknown until a node told us, when the span is bounded by time.
  let next: number | undefined = fromTime === undefined ? span.from : undefined;
  // Round the nodes from a random one; a node that made progress before it failed resets the count, so each
  // node gets asked again from the new entry (copies corrupt at different entries on each node still read whole).
  let at = Math.floor(Math.random() * span.nodes.length);
  for (let failed = 0; failed < span.nodes.length; ) {
    const node = span.nodes[at++ % span.nodes.length]!;
    const from = next;
    try {
      const c = await pool.get(node);
      // With the first entry found by time, the stream starts one entry before it, whose timestamp shows that no
      // hole on the node hid an entry in range (the entries it skipped are not trusted to be earlier). `next` is
      // only set once that is shown: a node that fails before is no reason to trust what it found.
      let start = next;
      let lead = -1;
      if (start === undefined) {
        start = await locate(c, id, span, fromTime!, toTime);
        if (start === undefined) return;
        if (start > span.from) lead = start - 1;
        else next = start;
      }
      for await (const batch of c.readRange(id, { fromEntry: lead >= 0 ? lead : start, toEntry: span.to, toTime }).batchesOf(makeRecord)) {
        let k = 0;
        if (lead >= 0) {
          if (batch[0]!.position.entryId !== lead || batch[0]!.timestamp >= fromTime!) throw new Error(`time index inconsistent before entry ${start}`);
          lead = -1;
          next = start;
          k = 1;
        }
        // The entries before a hole (or past `to`) go out; the next node is asked from the hole on.
        let n = k;
        const base = next! - k;
        while (n < batch.length && batch[n]!.position.entryId === base + n && (toTime === undefined || batch[n]!.timestamp <= toTime)) n++;
        next = base + n;
        if (n > k) yield n - k === batch.length ? batch : batch.slice(k, n);
        if (n < batch.length) {
          if (batch[n]!.position.entryId !== next) throw new NoEntryError(`node lacks entry ${next}`);
          return;
        }
      }
      if (lead >= 0 || next === undefined) throw new NoEntryError(`node lacks entry ${lead}`);
      if (next <= span.to && !(toTime !== undefined && (await c.readEntry(id, next)).timestamp > toTime)) {
        // The node's stream stops before the first entry after `to`; any other end before the span's is a hole.
        throw new NoEntryError(`node lacks entries ${next} to ${span.to}`);
      }
      return;
    } catch (error) {
      errors.push(`${node}: ${error instanceof Error ? error.message : String(error)}`);
      failed = next !== from ? 1 : failed + 1;
    }
  }
  throw new NotEnoughNodesError(`reading segment ${id} entries ${next ?? span.from}..${span.to}: no node of [${span.nodes.join(', ')}] could serve them (${errors.join('; ')})`);
}

/**
 * The span's first entry at or after fromTime on this node (READ_RANGE
 * with fromTime, limit 1: the node's sparse time index finds it), or
 * undefined when the span has no entry within [fromTime, toTime]: then
 * checked without trusting the node's skips (its last entry is earlier,
 * or the entry before the first found is).
 */
async function locate(c: LogNodeClient, id: number, span: Span, fromTime: number, toTime: number | undefined): Promise<number | undefined> {
  const [first] = await collect(c.readRange(id, { fromEntry: span.from, toEntry: span.to, fromTime, limit: 1 }));
  if (first === undefined) {
    // Nothing at or after fromTime here: true only if the node has the span's last entry (and it is earlier).
    if ((await c.readEntry(id, span.to)).timestamp >= fromTime) throw new Error(`entry ${span.to} is after fromTime but was not returned`);
    return undefined;
  }
  if (toTime === undefined || first.timestamp <= toTime) return first.entryId;
  if (first.entryId > span.from && (await c.readEntry(id, first.entryId - 1)).timestamp >= fromTime) throw new Error('time index inconsistent');
  return undefined;
}

/** Entry by entry from each write set, for ensembles where E > W. */
async function* readStriped(pool: NodePool, id: number, segment: SegmentMetadata, span: Span, fromTime?: number, toTime?: number): AsyncGenerator<LogRecord[]> {
  for (let e = span.from; e <= span.to; e++) {
    const errors: string[] = [];
    let entry: LogEntry | undefined;
    for (const node of writeSetOf(segment, e)) {
      try {
        entry = await (await pool.get(node)).readEntry(id, e);
        break;
      } catch (error) {
        errors.push(`${node}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (entry === undefined) throw new NotEnoughNodesError(`reading segment ${id} entry ${e}: no replica could serve it (${errors.join('; ')})`);
    if (toTime !== undefined && entry.timestamp > toTime) return;
    if (fromTime === undefined || entry.timestamp >= fromTime) yield [recordOf(id, entry)];
  }
}

async function collect(iterable: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}
