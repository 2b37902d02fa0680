/**
 * A segment writer's ensemble changes (BookKeeper's ensemble change, with
 * #1591 designed out): a node that failed is replaced by a live node
 * outside the ensemble. The new ensemble, starting at the first
 * unacknowledged entry, is stored by compare-and-set first, and nothing
 * is acknowledged while that change is not stored; then the writer sends
 * the unacknowledged entries to the new nodes. Confirmations from a
 * replaced node no longer count.
 *
 * With no live node to take a failed one's place, the change is retried
 * every {@link RETRY_DELAY} ms; between tries nothing is being changed, so
 * entries that A members of the stored ensemble confirmed are
 * acknowledged (BookKeeper's delayed ensemble change): a 3/3/2 segment
 * goes on with two nodes, and waits only when fewer than A are left.
 *
 * Two flags, two meanings (test/log/reader/mixed-ensembles.test.ts):
 * `changing` holds sends and acknowledgements while a change is being
 * stored (cleared while the loop waits between tries); `replacing` says the
 * loop runs at all, so a second failure meanwhile joins it instead of
 * starting a second loop (two would store changes from the same metadata
 * version, and the loser would take the conflict for another writer's
 * recovery and fence itself).
 */
import { systemClock } from '../../base/clock.js';
import { sleep } from '../../base/wait.js';
import { isTransientError } from '../../client/retry.js';
import { ClientClosedError, HerdError } from '../../errors.js';
import { NotEnoughNodesError } from '../errors.js';
import { MetadataConflictError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { writeSetOf, type Ensemble, type SegmentMetadata, type Versioned } from '../metadata/records.js';
import type { NodePool } from './node-pool.js';
import type { PendingAdd } from './pending-add.js';
import { pickNodes } from './quorum.js';

/** A segment's ensemble was changed because storage nodes failed. */
export interface EnsembleChange {
  readonly segmentId: number;
  /** The first entry written to the new ensemble. */
  readonly firstEntry: number;
  /** The instance ids replaced. */
  readonly replaced: readonly string[];
  /** The new ensemble. */
  readonly nodes: readonly string[];
}

/** What an ensemble change reads and does of its segment writer. */
export interface EnsembleHost {
  readonly id: number;
  /** The segment's record as last stored; a change stores the next one here. */
  meta: Versioned<SegmentMetadata>;
  readonly lastAddConfirmed: number;
  /** The unacknowledged adds, in entry order. */
  readonly pending: readonly PendingAdd[];
  readonly closing: boolean;
  /** Why the writer stopped, if it did. */
  readonly failure: HerdError | undefined;
  /** Acknowledges what A members of the stored ensemble confirmed. */
  acknowledge(): void;
  /** The change is stored (nothing left to replace): send the pending adds where they are missing, acknowledge. */
  resume(): void;
  fence(message: string, cause: unknown): void;
  stop(error: HerdError): void;
  ensembleChanged(change: EnsembleChange): void;
}

/** How long to wait before trying an ensemble change again when no node can take a failed one's place, in ms. */
const RETRY_DELAY = 250;

export class EnsembleChanger {
  /** Nodes that failed: being replaced, or replaced (their confirmations no longer count). */
  readonly failed = new Set<string>();
  /** A change of ensemble is being stored: nothing is sent or acknowledged meanwhile. */
  changing = false;
  /** {@link run} is running (storing a change, or waiting for a node between tries). */
  private replacing = false;

  constructor(
    private readonly host: EnsembleHost,
    private readonly store: LogMetadataStore,
    private readonly pool: NodePool,
  ) {}

  lastEnsemble(): Ensemble {
    const { ensembles } = this.host.meta.value;
    return ensembles[ensembles.length - 1]!;
  }

  /** `node` failed (not by a fence): replace it, unless it is replaced or being replaced already. */
  nodeFailed(node: string): void {
    if (this.failed.has(node) || !this.lastEnsemble().nodes.includes(node)) return;
    this.failed.add(node);
    this.pool.drop(node);
    // One loop at a time, even while it waits between tries: two would store changes from the same
    // version and the loser would take the conflict for another writer's recovery.
    if (!this.replacing) void this.run();
  }

  private async run(): Promise<void> {
    const host = this.host;
    this.replacing = true;
    this.changing = true;
    try {
      for (;;) {
        const last = this.lastEnsemble();
        const bad = last.nodes.filter((n) => this.failed.has(n));
        if (bad.length === 0 || host.failure !== undefined) break;
        try {
          await this.replace(last, bad);
        } catch (error) {
          if (error instanceof MetadataConflictError) {
            host.fence(`segment ${host.id} changed under its writer: another writer is recovering it`, error);
            return;
          }
          if (!(error instanceof NotEnoughNodesError) && !isTransientError(error)) {
            host.stop(error instanceof HerdError ? error : new HerdError('WRITER_FAILED', String(error), { cause: error }));
            return;
          }
          if (host.closing) {
            host.stop(new ClientClosedError(`log closed while segment ${host.id} waited for a storage node to replace [${bad.join(', ')}]`, { cause: error }));
            return;
          }
          // No change is on its way while we wait for a node: entries that reached A members of the
          // stored ensemble are acknowledged meanwhile (BookKeeper's delayed ensemble change), so a
          // segment keeps going on the nodes left as long as they make the ack quorum.
          this.changing = false;
          host.acknowledge();
          await sleep(systemClock, RETRY_DELAY);
          this.changing = true;
        }
      }
    } finally {
      this.changing = false;
      this.replacing = false;
    }
    if (host.failure === undefined) host.resume();
  }

  /** Stores an ensemble with `bad` replaced, from the first unacknowledged entry on; then forgets what replaced nodes confirmed. */
  private async replace(last: Ensemble, bad: readonly string[]): Promise<void> {
    const host = this.host;
    const live = (await this.pool.liveNodes()).map((r) => r.instanceId);
    // A failed node that answers again (restarted with its data) may take its own place when no other node can.
    const outside = live.filter((n) => !last.nodes.includes(n) && !this.failed.has(n));
    const back = new Set<string>();
    if (outside.length < bad.length) {
      for (const n of bad) {
        if (outside.length + back.size >= bad.length) break;
        if (await this.pool.get(n).then(() => true, () => false)) back.add(n);
      }
    }
    const replacements = pickNodes(live, bad.length - back.size, new Set([...last.nodes, ...this.failed]), `segment ${host.id}: replacing [${bad.join(', ')}]`);
    const firstEntry = host.lastAddConfirmed + 1;
    const nodes = last.nodes.map((n) => (this.failed.has(n) && !back.has(n) ? replacements.shift()! : n));
    const kept = host.meta.value.ensembles.filter((e) => e.firstEntry < firstEntry);
    const next: SegmentMetadata = { ...host.meta.value, ensembles: [...kept, { firstEntry, nodes }] };
    host.meta = await this.store.updateSegment(host.id, host.meta, next);
    for (const n of back) this.failed.delete(n);
    for (const add of host.pending) {
      const writeSet = new Set(writeSetOf(host.meta.value, add.entryId));
      add.sent = add.sent.filter((n) => writeSet.has(n) && !back.has(n));
      add.acked = add.acked.filter((n) => writeSet.has(n));
    }
    host.ensembleChanged({ segmentId: host.id, firstEntry, replaced: bad.filter((n) => !nodes.includes(n)), nodes });
  }
}
