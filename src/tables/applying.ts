/**
 * Applying log entries to a node's copy: the one place that runs the pure
 * `apply` (state/apply.ts) and moves everything that follows an applied
 * entry (checksums, the waiting transaction's outcome, the change feed, the
 * recent ids, the applied position, the snapshot keeper). Two callers feed
 * it, in log order: the follower (every entry, from subscribeLog) and the
 * primary (its own batch, as soon as the log acknowledges it, so a commit
 * on the primary does not wait for the log's CONFIRM and a read back from
 * its storage nodes). An entry already applied by the other is skipped.
 */
import type { NodeCore } from './core.js';
import type { LogEntry } from './primary.js';
import { apply } from './state/apply.js';
import { comparePosition, type Position } from './state/store.js';

/**
 * Applies `entries` (in log order, each directly after the one before) in
 * one pass and then wakes the callers waiting for any of them. Entries at
 * or below the applied position are skipped.
 */
export function applyEntries(core: NodeCore, entries: readonly LogEntry[]): void {
  let last: Position | null = null;
  for (const { data, position } of entries) {
    if (core.state.position !== null && comparePosition(position, core.state.position) <= 0) continue;
    const result = apply(data, position, core.state);
    core.recordChecksum(position);
    if (result.id !== '') core.recentIds.add(result.id, position);
    if (core.pending.has(result.id)) core.pending.set(result.id, result);
    if (result.outcome === 'committed') core.feed.push(result.changes);
    core.keeper.applied();
    last = position;
  }
  if (last === null) return;
  core.heard(last);
  core.applied.advance(last);
}
