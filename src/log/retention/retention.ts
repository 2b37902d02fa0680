/**
 * Retention: a log keeps its entries for `maxAge` ms and/or up to
 * `maxBytes` bytes (records.ts: Retention, stored in the log's record, set
 * with openLog's `retention` option or {@link setRetention}). The auditor
 * (src/log/repair/auditor.ts) applies it at each pass:
 *
 * - Only whole CLOSED segments go, oldest first, as a prefix of the log's
 *   list: the first segment that is not CLOSED stops it, and the log's last
 *   segment always stays (so a writer rolling over always finds the segment
 *   it just closed, and a log never loses its newest entries to retention).
 * - By age: a segment whose newest entry (`maxTimestamp`; `createdAt` when
 *   it is empty) is older than `maxAge` against the wall clock.
 * - By size: the oldest while the log's CLOSED segments hold more than
 *   `maxBytes` of entry data. A segment's size is not in its record: it is
 *   counted once by reading its entries from the replicas, and remembered
 *   (a CLOSED segment's entries never change).
 * - Metadata first: one transaction removes the ids from the log's record
 *   (compare-and-set) and deletes the segments' records
 *   (LogMetadataStore.removeSegments). Then each storage node's garbage
 *   collector (./garbage-collector.ts) finds local segments with no record
 *   and deletes them. A crash between the two leaves data no record names,
 *   which the collectors delete: nothing is named that is not there.
 *
 * A conflict (a writer added a segment meanwhile) skips the log until the
 * next pass.
 */
import type { Client } from '../../client/index.js';
import { NotEnoughNodesError } from '../errors.js';
import { MetadataConflictError, NoSuchSegmentError } from '../metadata/errors.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import type { LogMetadata, Retention, SegmentMetadata, Versioned } from '../metadata/records.js';
import type { NodePool } from '../writer/node-pool.js';
import { ensembleSpan } from '../repair/replication.js';

/** What a retention pass deleted from one log. */
export interface RetentionResult {
  /** The log. */
  readonly log: string;
  /** The segments deleted, oldest first. */
  readonly segmentIds: readonly number[];
}

/** State kept between passes. */
export interface RetentionContext {
  /** Known sizes of CLOSED segments, in bytes of entry data, by id. */
  readonly sizes: Map<number, number>;
  /** Wall-clock time, epoch ms. */
  readonly now: number;
}

/**
 * Sets the retention policy of log `name` (null: keep every entry for
 * ever); the auditor applies it at its next pass. Resolves with the log's
 * policy as stored. Throws BadArgumentsError for a bad name or policy
 * (positive integers), NoSuchLogError when there is no such log.
 */
export async function setRetention(client: Client, name: string, retention: Retention | null): Promise<Retention | null> {
  const log = await new LogMetadataStore(client).setRetention(name, retention);
  return log.value.retention ?? null;
}

/** Applies log `name`'s policy once; the segments it deleted, or undefined when none (or on a conflict: the next pass tries again). */
export async function applyRetention(store: LogMetadataStore, pool: NodePool, name: string, ctx: RetentionContext): Promise<RetentionResult | undefined> {
  const log = await store.readLog(name);
  const policy = log.value.retention;
  if (policy === undefined) return undefined;
  const closed = await closedPrefix(store, log.value);
  let count = policy.maxAge === undefined ? 0 : countExpired(closed, policy, ctx.now);
  if (policy.maxBytes !== undefined) count = Math.max(count, await countOversize(pool, closed, policy.maxBytes, ctx.sizes));
  // The log's last segment always stays.
  count = Math.min(count, log.value.segments.length - 1);
  if (count <= 0) return undefined;
  const ids = log.value.segments.slice(0, count);
  try {
    await store.removeSegments(name, log, ids);
  } catch (error) {
    if (error instanceof MetadataConflictError) return undefined;
    throw error;
  }
  for (const id of ids) ctx.sizes.delete(id);
  return { log: name, segmentIds: ids };
}

interface Closed {
  readonly id: number;
  readonly record: Versioned<SegmentMetadata>;
}

/** The log's segments from the oldest up to the first that is not CLOSED (or gone). */
async function closedPrefix(store: LogMetadataStore, log: LogMetadata): Promise<Closed[]> {
  const out: Closed[] = [];
  for (const id of log.segments) {
    let record: Versioned<SegmentMetadata>;
    try {
      record = await store.readSegment(id);
    } catch (error) {
      if (error instanceof NoSuchSegmentError) break;
      throw error;
    }
    if (record.value.state !== 'CLOSED') break;
    out.push({ id, record });
  }
  return out;
}

function countExpired(closed: readonly Closed[], policy: Retention, now: number): number {
  let n = 0;
  for (const { record } of closed) {
    const newest = record.value.maxTimestamp ?? record.value.createdAt;
    if (now - newest <= policy.maxAge!) break;
    n++;
  }
  return n;
}

/** How many of the oldest closed segments must go for the rest to hold at most `maxBytes`. */
async function countOversize(pool: NodePool, closed: readonly Closed[], maxBytes: number, sizes: Map<number, number>): Promise<number> {
  const each: number[] = [];
  for (const { id, record } of closed) {
    let size = sizes.get(id);
    if (size === undefined) {
      size = await segmentSize(pool, id, record.value);
      sizes.set(id, size);
    }
    each.push(size);
  }
  let total = each.reduce((a, b) => a + b, 0);
  let n = 0;
  while (total > maxBytes && n < each.length) total -= each[n++]!;
  return n;
}

/** Bytes of entry data in a CLOSED segment, read from its replicas (each ensemble's span from as many of its nodes as it takes to see every entry). */
export async function segmentSize(pool: NodePool, id: number, segment: SegmentMetadata): Promise<number> {
  let total = 0;
  for (let i = 0; i < segment.ensembles.length; i++) {
    const { from, to } = ensembleSpan(segment, i, segment.lastEntry);
    if (from > to) continue;
    const seen = new Map<number, number>();
    for (const node of segment.ensembles[i]!.nodes) {
      if (seen.size === to - from + 1) break;
      try {
        const c = await pool.get(node);
        for await (const e of c.readRange(id, { fromEntry: from, toEntry: to })) seen.set(e.entryId, e.data.length);
      } catch {
        // Another replica of the span may have what this one did not deliver.
      }
    }
    if (seen.size !== to - from + 1) throw new NotEnoughNodesError(`segment ${id}: could not read every entry of [${from}, ${to}] to count its size`);
    for (const n of seen.values()) total += n;
  }
  return total;
}
