/**
 * Log truncation for a tables cluster. The primary removes the log's whole
 * CLOSED segments below the oldest snapshot a live member still needs (the
 * minimum of the members' published snapshot positions), never above what
 * every live member has applied, so the log does not grow without bound.
 *
 * The start of what is left is recorded first, in the znode
 * `/herd/tables/<name>/truncated` (JSON `[segmentId, entryId]`: the last
 * entry removed; it only moves forward), and only then are the segments
 * removed (src/log truncateLog). A node whose applied position is before
 * that mark (a new node, or one back from a long absence) cannot follow
 * the log from there: the log reader would skip the removed segments
 * silently. It loads a member's snapshot first (tables.ts).
 */
import type { Client } from '../../client/index.js';
import { BadVersionError, NoNodeError, NodeExistsError } from '../../errors.js';
import { truncateLog } from '../../log/index.js';
import { fromPair } from '../node-types.js';
import { TABLES_ROOT } from '../quorum.js';
import { comparePosition, type Position } from '../state/store.js';
import type { TruncatePolicy } from './options.js';

/** What the primary knows of a live member for truncation (its published data). */
export interface TruncationInput {
  /** Its applied position; null when it has applied nothing or did not say. */
  readonly applied: Position | null;
  /** The position of its latest snapshot; null when it has none. */
  readonly snapshot: Position | null;
  /** The position of its latest snapshot on disk; null when none. */
  readonly durable: Position | null;
}

/** A member's published data (cluster member data) as truncation reads it. */
export function truncationInput(data: unknown): TruncationInput {
  const d = (data ?? {}) as { position?: unknown; snapshot?: unknown; durable?: unknown };
  return { applied: fromPair(d.position), snapshot: fromPair(d.snapshot), durable: fromPair(d.durable) };
}

const min = (a: Position, b: Position): Position => (comparePosition(a, b) <= 0 ? a : b);

/**
 * The position through which the log may be truncated, or null for none:
 * the oldest snapshot of the live members, capped by the least applied
 * position, and under `'durable'` by the newest snapshot on some member's
 * disk. Any member without a snapshot or an applied position blocks it (it
 * may still need the whole log).
 */
export function truncationPoint(members: readonly TruncationInput[], policy: TruncatePolicy): Position | null {
  if (policy === 'never' || members.length === 0) return null;
  let point: Position | undefined;
  let durable: Position | null = null;
  for (const m of members) {
    if (m.applied === null || m.snapshot === null) return null;
    point = min(point ?? m.snapshot, min(m.snapshot, m.applied));
    if (m.durable !== null && (durable === null || comparePosition(m.durable, durable) > 0)) durable = m.durable;
  }
  if (policy === 'durable') return durable === null ? null : min(point!, durable);
  return point!;
}

/** The mark's path for tables cluster `name`. */
export const truncatedPath = (name: string): string => `${TABLES_ROOT}/${name}/truncated`;

/** The last entry removed from tables cluster `name`'s log, or null when nothing ever was. */
export async function readTruncated(client: Client, name: string): Promise<Position | null> {
  try {
    const { data } = await client.getData(truncatedPath(name));
    const [segmentId, entryId] = JSON.parse(data?.toString() ?? 'null') as [number, number];
    return { segmentId, entryId };
  } catch (err) {
    if (err instanceof NoNodeError) return null;
    throw err;
  }
}

/** Records `through` as removed, unless a later position is recorded already (compare-and-set). */
async function recordTruncated(client: Client, name: string, through: Position): Promise<void> {
  const path = truncatedPath(name);
  const data = Buffer.from(JSON.stringify([through.segmentId, through.entryId]));
  for (;;) {
    try {
      const { data: old, stat } = await client.getData(path);
      const [segmentId, entryId] = JSON.parse(old?.toString() ?? 'null') as [number, number];
      if (comparePosition({ segmentId, entryId }, through) >= 0) return;
      await client.setData(path, data, stat.version);
      return;
    } catch (err) {
      if (err instanceof BadVersionError) continue;
      if (!(err instanceof NoNodeError)) throw err;
    }
    try {
      await client.create(path, data);
      return;
    } catch (err) {
      // Without recorded weights (declared members) the cluster's znode may not exist yet.
      if (err instanceof NoNodeError) await client.mkdirp(`${TABLES_ROOT}/${name}`);
      else if (!(err instanceof NodeExistsError)) throw err;
    }
  }
}

/** The primary's truncation: at most one pass at a time, and none while the point has not moved. */
export class Truncator {
  private running = false;
  private last: Position | null = null;
  /** Segments removed so far by this node (for tests and metrics). */
  removedSegments = 0;

  constructor(
    private readonly client: Client,
    private readonly name: string,
    private readonly policy: TruncatePolicy,
    private readonly warn: (err: unknown) => void,
  ) {}

  /** Truncates through the point the members allow, in the background. */
  consider(members: readonly TruncationInput[]): void {
    const point = truncationPoint(members, this.policy);
    if (point === null || this.running || (this.last !== null && comparePosition(point, this.last) <= 0)) return;
    this.running = true;
    truncateLog(this.client, `tables.${this.name}`, point, { beforeRemove: (planned) => recordTruncated(this.client, this.name, planned.through) })
      .then(
        (result) => {
          // A conflict (undefined) is retried at the next members change; a pass that found nothing to remove waits for the point to move.
          if (result !== undefined) this.removedSegments += result.segmentIds.length;
          this.last = point;
        },
        (err: unknown) => this.warn(err),
      )
      .finally(() => (this.running = false));
  }
}
