/**
 * Following the log: every node (the primary too) reads the log with
 * subscribeLog from its applied position and applies each entry with the
 * pure `apply` (state/apply.ts, through applying.ts), so all nodes reach the same state at the
 * same position. When it cannot follow from where it is (the log was
 * truncated past it) or its copy diverged, it loads a member's snapshot
 * over rpc and follows on from that snapshot's position.
 */
import { sleep } from '../base/wait.js';
import type { ClusterMember } from '../cluster/index.js';
import { NoSuchLogError, subscribeLog } from '../log/index.js';
import { withCallOptions, type Remote } from '../rpc/index.js';
import type { NodeCore } from './core.js';
import { InvalidStateError } from './errors.js';
import { anySignal, posKey, type TablesService } from './node-types.js';
import { applyEntries } from './applying.js';
import { decodeSnapshot } from './state/snapshot.js';
import { comparePosition, type Position } from './state/store.js';
import { readTruncated, truncationInput } from './snapshots/truncation.js';

/** How long a member's snapshot may take to arrive, ms. */
const SNAPSHOT_TIMEOUT = 30_000;

/** The log follower and resync of one node. */
export class Follower {
  private follower = new AbortController();
  private resyncing = false;

  constructor(
    private readonly core: NodeCore,
    private readonly remoteOf: (identifier: string) => Promise<Remote<TablesService>>,
  ) {}

  /** Follows the log from the applied position until close or a resync restarts it. */
  async follow(): Promise<void> {
    const core = this.core;
    const signal = anySignal(this.follower.signal, core.stop.signal);
    while (!signal.aborted) {
      const from = core.state.position;
      try {
        if (await this.behindTruncation()) return;
        for await (const record of subscribeLog(core.client, core.logName, { from: from ?? 'start', signal, ...core.hosting.readerOptions() })) {
          // The primary applies its own entries once the log acknowledges them (applying.ts): skip those.
          if (core.state.position !== null && comparePosition(record.position, core.state.position) <= 0) continue;
          if (record.position.segmentId !== core.state.position?.segmentId && (await this.behindTruncation())) return;
          applyEntries(core, [record]);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof NoSuchLogError)) core.warn(err);
        await sleep(core.client.clock, 100, signal).catch(() => {});
      }
    }
  }

  /**
   * True (and a resync started) when the log was truncated past this node's
   * position: following it from there would skip the removed entries, so
   * the node loads a member's snapshot first (snapshots/truncation.ts).
   */
  private async behindTruncation(): Promise<boolean> {
    const mark = await readTruncated(this.core.client, this.core.name);
    const position = this.core.state.position;
    if (mark === null || (position !== null && comparePosition(position, mark) >= 0)) return false;
    void this.resync(this.snapshotSource(), mark);
    return true;
  }

  /** Where to load a snapshot from: the primary, or when that is this node, the live member furthest ahead. */
  private snapshotSource(): string {
    const { cluster, identifier } = this.core;
    const primary = cluster.primary()?.identifier;
    if (primary !== undefined && primary !== identifier) return primary;
    const others = cluster.members().filter((m) => m.identifier !== identifier);
    const ahead = (m: ClusterMember): Position | null => truncationInput(m.data).applied;
    others.sort((a, b) => comparePosition(ahead(b) ?? { segmentId: -1, entryId: -1 }, ahead(a) ?? { segmentId: -1, entryId: -1 }));
    return others[0]?.identifier ?? primary ?? identifier;
  }

  /**
   * Loads `source`'s snapshot (another member when that one fails), then
   * follows the log from its position. With `truncated`, a snapshot older
   * than that mark is refused: the log no longer holds what follows it.
   */
  async resync(source: string, truncated: Position | null = null): Promise<void> {
    const core = this.core;
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      while (!core.closed) {
        try {
          const remote = await this.remoteOf(source);
          const state = decodeSnapshot(await withCallOptions(remote, { timeout: SNAPSHOT_TIMEOUT }).snapshot(), core.options.tables);
          if (truncated !== null && (state.position === null || comparePosition(state.position, truncated) < 0)) {
            throw new InvalidStateError(`tables ${core.name}: ${source}'s snapshot is older than the truncated log (${posKey(truncated)}); trying again`);
          }
          this.follower.abort();
          this.follower = new AbortController();
          core.install(state);
          core.keeper.loadedFromMember(state);
          core.setDiverged(undefined);
          void this.follow();
          if (state.position !== null) core.events.emit('resynced', state.position);
          return;
        } catch (err) {
          core.warn(err);
          await sleep(core.client.clock, 500, core.stop.signal).catch(() => {});
          source = this.snapshotSource();
        }
      }
    } finally {
      this.resyncing = false;
    }
  }
}
