/**
 * The writers' explicit last-add-confirmed hints (CONFIRM,
 * src/log/protocol/messages/confirm.ts), in memory. A segment's
 * last-add-confirmed on this node is the larger of what its stored entries
 * carry and the writer's hint capped at the last entry stored here: it
 * never moves backwards and never names an entry this node does not hold.
 * A hint goes once the stored entries have caught up with it.
 */

/** What the hints read of the node's storage. */
export interface StoredLast {
  lastEntry(segmentId: number): { entryId: number; lastAddConfirmed: number } | undefined;
}

/** Segments remembered at most; past it the oldest hint goes (a hint only hurries a long poll). */
const MAX_HINTS = 10_000;

export class ConfirmHints {
  private readonly hints = new Map<number, number>();
  private readonly listeners = new Map<number, Set<() => void>>();

  constructor(private readonly storage: StoredLast) {}

  /** Records a writer's hint and wakes the segment's listeners. */
  record(segmentId: number, lastAddConfirmed: number): void {
    const stored = this.storage.lastEntry(segmentId)?.lastAddConfirmed ?? -1;
    if (lastAddConfirmed <= Math.max(stored, this.hints.get(segmentId) ?? -1)) return;
    this.hints.delete(segmentId);
    this.hints.set(segmentId, lastAddConfirmed);
    if (this.hints.size > MAX_HINTS) this.hints.delete(this.hints.keys().next().value!);
    for (const wake of this.listeners.get(segmentId) ?? []) wake();
  }

  /** The segment's last-add-confirmed on this node (-1: none). */
  lastAddConfirmed(segmentId: number): number {
    const last = this.storage.lastEntry(segmentId);
    const stored = last?.lastAddConfirmed ?? -1;
    const hint = this.hints.get(segmentId);
    if (hint === undefined) return stored;
    if (stored >= hint) {
      this.hints.delete(segmentId);
      return stored;
    }
    return Math.max(stored, Math.min(hint, last?.entryId ?? -1));
  }

  /** Calls `listener` after each hint for the segment until the returned function is called. */
  watch(segmentId: number, listener: () => void): () => void {
    let set = this.listeners.get(segmentId);
    if (set === undefined) this.listeners.set(segmentId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(segmentId);
    };
  }
}
