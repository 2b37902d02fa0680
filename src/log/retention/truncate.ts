/**
 * Truncation on demand: the owner of a log's contents (a tables primary,
 * whose members keep snapshots) says which prefix it no longer needs, and
 * the whole CLOSED segments inside that prefix go, as retention removes
 * them (./retention.ts): the record first (LogMetadataStore.removeSegments,
 * compare-and-set), then each storage node's garbage collector deletes the
 * local data. The log's last segment always stays, so a writer rolling
 * over still finds the segment it just closed.
 *
 * A segment is removed only when every entry of it is at or before
 * `through`: a partly needed segment stays whole.
 */
import type { Client } from '../../client/index.js';
import { BadArgumentsError } from '../errors.js';
import { MetadataConflictError, NoSuchSegmentError } from '../metadata/errors.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import { comparePositions, isPosition, type LogPosition } from '../writer/position.js';

/** What {@link truncateLog} removed. */
export interface TruncateResult {
  /** The log. */
  readonly log: string;
  /** The segments removed, oldest first. */
  readonly segmentIds: readonly number[];
  /** The position of the last entry removed (the last entry of the last segment removed; entryId -1 for an empty segment). */
  readonly through: LogPosition;
}

/** Options of {@link truncateLog}. */
export interface TruncateLogOptions {
  /**
   * Called with the result before anything is removed; removal waits for
   * it and does not happen when it rejects (a caller records the new start
   * of its log here, so a reader never finds entries gone without that
   * record).
   */
  readonly beforeRemove?: (planned: TruncateResult) => Promise<void>;
}

/**
 * Removes the oldest CLOSED segments of log `name` whose entries are all at
 * or before `through`, never the log's last segment. Resolves with what it
 * removed, or undefined when nothing could go or the log changed meanwhile
 * (a writer added a segment: call again). Throws BadArgumentsError for a bad
 * position, NoSuchLogError when there is no such log, or the client's error.
 */
export async function truncateLog(client: Client, name: string, through: LogPosition, options: TruncateLogOptions = {}): Promise<TruncateResult | undefined> {
  if (!isPosition(through)) throw new BadArgumentsError(`truncateLog ${name}: through must be a position { segmentId, entryId }`);
  const store = new LogMetadataStore(client);
  const log = await store.readLog(name);
  const ids: number[] = [];
  let last: LogPosition | undefined;
  for (const id of log.value.segments.slice(0, -1)) {
    let segment;
    try {
      segment = (await store.readSegment(id)).value;
    } catch (error) {
      if (error instanceof NoSuchSegmentError) return undefined;
      throw error;
    }
    const end = { segmentId: id, entryId: segment.lastEntry };
    if (segment.state !== 'CLOSED' || comparePositions(end, through) > 0) break;
    ids.push(id);
    last = end;
  }
  if (last === undefined) return undefined;
  const result: TruncateResult = { log: name, segmentIds: ids, through: last };
  await options.beforeRemove?.(result);
  try {
    await store.removeSegments(name, log, ids);
  } catch (error) {
    if (error instanceof MetadataConflictError) return undefined;
    throw error;
  }
  return result;
}
