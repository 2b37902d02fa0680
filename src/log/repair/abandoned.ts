/**
 * Segments left OPEN (or IN_RECOVERY) by a writer that is gone: the
 * auditor recovers them (fences their nodes and closes them at their last
 * acknowledged entry, as the next writer would: ../writer/recovery.ts)
 * once their writer has been gone for the grace period, so their entries
 * become CLOSED, checkable and repairable without waiting for someone to
 * open the log again.
 *
 * A writer is live while its ephemeral writer node exists
 * (`/herd/log/writers/<segment>`, created right after the segment, so it
 * lives as long as the writer's session; see
 * ../metadata/layout.ts). The grace period starts when this auditor first
 * sees the node missing, so a writer reconnecting within its session
 * timeout is never disturbed, and a writer that is recovering the segment
 * itself (a new writer opening the log) is at worst joined by a second,
 * harmless recovery (both fence and read the same entries; one
 * compare-and-set wins).
 */
import type { Clock } from '../../base/clock.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import type { SegmentMetadata, Versioned } from '../metadata/records.js';
import type { NodePool } from '../writer/node-pool.js';
import { recoverSegment } from '../writer/recovery.js';

/** A segment the auditor recovered after its writer was gone. */
export interface RecoveredResult {
  /** The segment closed. */
  readonly segmentId: number;
  /** The log it belongs to. */
  readonly log: string;
  /** The writer that left it open. */
  readonly writer: string;
  /** Its last entry, as recovery found it (-1 when empty). */
  readonly lastEntry: number;
}

/** Tracks writers that are gone, across the passes of one leadership. */
export class AbandonedSegments {
  private readonly missingSince = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    private readonly gracePeriod: number,
  ) {}

  /** Forgets what was seen (a new leadership starts over: its grace periods too). */
  clear(): void {
    this.missingSince.clear();
  }

  /**
   * Recovers `segment` (not CLOSED) when its writer has been gone for the
   * grace period: resolves with its CLOSED record. Resolves with `due`, when
   * to look again, while the grace runs, and with nothing while the writer
   * is live. Rejects with what recovery throws (NotEnoughNodesError, ...).
   */
  async check(store: LogMetadataStore, pool: NodePool, id: number, segment: Versioned<SegmentMetadata>): Promise<{ closed?: Versioned<SegmentMetadata>; due?: number }> {
    if (await store.writerIsLive(id)) {
      this.missingSince.delete(id);
      return {};
    }
    const now = this.clock.now();
    const since = this.missingSince.get(id) ?? now;
    this.missingSince.set(id, since);
    if (now - since < this.gracePeriod) return { due: since + this.gracePeriod };
    const closed = await recoverSegment(store, pool, id, segment);
    this.missingSince.delete(id);
    return { closed };
  }
}
