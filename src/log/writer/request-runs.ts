/**
 * How a writer cuts the adds it sends one node in one tick into requests:
 * runs of consecutive entries with one last-add-confirmed, each one
 * ADD_ENTRIES request (a lone entry goes as ADD_ENTRY), so one
 * appendBatch costs each node one frame, one reply and usually one group
 * commit.
 */
import { MAX_BATCH_ENTRIES } from '../protocol/messages/add-entries.js';
import type { LogEntry } from '../protocol/messages/entry.js';

/**
 * Entry bytes per ADD_ENTRIES request: a run closes before it would pass
 * this (a larger entry goes alone), far below the node's frame limit.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** `adds` (in entry order) cut into runs: consecutive ids, one last-add-confirmed, at most {@link MAX_REQUEST_BYTES} and MAX_BATCH_ENTRIES each. */
export function requestRuns<T extends { readonly entry: LogEntry }>(adds: readonly T[]): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const add of adds) {
    const prev = run[run.length - 1];
    const joins =
      prev !== undefined &&
      add.entry.entryId === prev.entry.entryId + 1 &&
      add.entry.lastAddConfirmed === prev.entry.lastAddConfirmed &&
      bytes + add.entry.data.length <= MAX_REQUEST_BYTES &&
      run.length < MAX_BATCH_ENTRIES;
    if (!joins && run.length > 0) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(add);
    bytes += add.entry.data.length;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
