/**
 * A storage node's garbage collector (BookKeeper's ScanAndCompare GC):
 * every `interval` ms it lists the segments the node stores, then the
 * segment records in the coordination store, and deletes local segments
 * that have no record (retention deleted them, ./retention.ts).
 *
 * Safety rules, so that a segment in use is never collected:
 * - Metadata first: a writer creates a segment's record before it sends a
 *   node any entry, and a repair copies only segments that have one. The
 *   local list is taken *before* the records are listed, so a local
 *   segment either had its record when the records were listed, or lost
 *   it since.
 * - The records are listed after a `sync`, so a coordination server that
 *   lags behind the leader cannot hide a record just created.
 * - A segment is deleted only when it had no record in two passes in a
 *   row (at least `interval` ms apart): one listing that misses a record
 *   for any other reason costs nothing.
 * - When `/herd/log/segments` does not exist at all (a node pointed at the
 *   wrong chroot, or no log ever created), nothing is collected.
 *
 * Limits: a node that comes back after its segments were repaired onto
 * other nodes keeps its copies (they still have records) until retention
 * deletes the segments.
 */
import type { Client } from '../../client/index.js';
import { NoNodeError } from '../../errors.js';
import { retryWhileConnected } from '../../recipes/internal/index.js';
import { SEGMENTS_PATH } from '../metadata/layout.js';

/** What the collector needs of the node's storage (NodeStorage). */
export interface CollectableStorage {
  /** The ids of the segments stored. */
  segments(): number[];
  /** Deletes a segment's local data; resolves once the delete is durable. */
  deleteSegment(segmentId: number): Promise<void>;
}

/** Counters of a node's garbage collector, for metrics. */
export interface GarbageCollectorStats {
  /** Local segments deleted because their record is gone. */
  readonly segmentsCollected: number;
  /** Passes completed. */
  readonly passes: number;
}

/** The periodic collector of one node; see the file comment. */
export class GarbageCollector {
  private suspects = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number[]> | undefined;
  private closed = false;
  private collected = 0;
  private passes = 0;

  constructor(
    private readonly client: Client,
    private readonly storage: CollectableStorage,
    private readonly interval: number,
    private readonly logger: (message: string) => void,
  ) {}

  /** The counters as of now. */
  get stats(): GarbageCollectorStats {
    return { segmentsCollected: this.collected, passes: this.passes };
  }

  /** Starts the periodic passes. */
  start(): void {
    this.schedule();
  }

  /** One pass now (or the one running); resolves with the ids it deleted. */
  collect(): Promise<number[]> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the passes and waits for the one running. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.collect()
        .catch((error: unknown) => this.logger(`garbage collection failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.schedule());
    }, this.interval);
  }

  private async pass(): Promise<number[]> {
    const local = this.storage.segments();
    let names: string[];
    try {
      await retryWhileConnected(this.client, () => this.client.sync(SEGMENTS_PATH));
      names = (await retryWhileConnected(this.client, () => this.client.getChildren(SEGMENTS_PATH))) as string[];
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      this.suspects.clear();
      return [];
    }
    const known = new Set(names.filter((n) => /^\d{10}$/.test(n)).map(Number));
    const orphans = local.filter((id) => !known.has(id));
    const doomed = orphans.filter((id) => this.suspects.has(id));
    this.suspects = new Set(orphans.filter((id) => !this.suspects.has(id)));
    const deleted: number[] = [];
    for (const id of doomed) {
      if (this.closed) break;
      await this.storage.deleteSegment(id);
      deleted.push(id);
      this.collected++;
      this.logger(`segment ${id} has no record any more (retention deleted it): its local data is deleted`);
    }
    this.passes++;
    return deleted;
  }
}
