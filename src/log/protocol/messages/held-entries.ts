/**
 * HELD_ENTRIES (kind 10): which entries of a segment this node holds a
 * good copy of, as ranges (the auditor's replicas check,
 * src/log/repair/replicas-check.ts, compares them with what the striping
 * says the node must hold). A corrupt copy is not held. With `verify`, the
 * node first reads every entry of the range and checks its CRC32C (a
 * scrub): a copy that fails is marked corrupt and left out.
 *
 * ```
 * request  long segmentId, long fromEntry, long toEntry (inclusive, toEntry >= fromEntry), bool verify
 * reply    int count (0..MAX_HELD_RANGES), count times (long first, long last): ascending,
 *          disjoint and not touching (first > previous last + 1), within the request's bounds;
 *          long next: -1 when the reply covers the whole range, else the entry to ask from again
 * ```
 * A node that holds nothing of the segment answers no ranges (not
 * NO_ENTRY): an empty replica is an answer, not a failure. The decoder
 * refuses ranges out of order, overlapping or touching, so a reply has one
 * reading.
 */
import type { JuteReader } from '../../../jute/reader.js';
import type { Codec } from '../../../jute/writer.js';
import { BadRequestError } from '../../errors.js';
import { readInt, readLong } from './fields.js';
import type { Message } from './message.js';

/** The most ranges in one reply (16 bytes each: 1 MiB), so a reply stays within any frame size a client accepts. */
export const MAX_HELD_RANGES = 65_536;

/** The body of a HELD_ENTRIES request. */
export interface HeldEntriesRequest {
  readonly segmentId: number;
  /** First entry id asked about, inclusive. */
  readonly fromEntry: number;
  /** Last entry id asked about, inclusive. */
  readonly toEntry: number;
  /** Read and check every entry's CRC32C first (a scrub of the range). */
  readonly verify: boolean;
}

/** An inclusive run of entry ids, `[first, last]`. */
export type EntryRange = readonly [first: number, last: number];

/** The body of a HELD_ENTRIES reply. */
export interface HeldEntriesReply {
  /** Held entries as ascending, disjoint, non-touching inclusive ranges. */
  readonly ranges: readonly EntryRange[];
  /** -1 when `ranges` covers the request to its end; else the entry id to ask from again. */
  readonly next: number;
}

export const HeldEntriesRequestCodec: Codec<HeldEntriesRequest> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.fromEntry).longNumber(v.toEntry).bool(v.verify);
  },
  read(r) {
    const segmentId = readLong(r, 'segmentId', 0);
    const fromEntry = readLong(r, 'fromEntry', 0);
    const at = r.offset;
    const toEntry = readLong(r, 'toEntry', 0);
    if (toEntry < fromEntry) throw new BadRequestError(`toEntry ${toEntry} before fromEntry ${fromEntry} at offset ${at}`);
    return { segmentId, fromEntry, toEntry, verify: r.bool() };
  },
};

export const HeldEntriesReplyCodec: Codec<HeldEntriesReply> = {
  write(w, v) {
    w.int(v.ranges.length);
    for (const [first, last] of v.ranges) w.longNumber(first).longNumber(last);
    w.longNumber(v.next);
  },
  read(r) {
    const ranges = readRanges(r);
    const at = r.offset;
    const next = readLong(r, 'next', -1);
    const end = ranges.length === 0 ? -1 : ranges[ranges.length - 1]![1];
    if (next !== -1 && next <= end) throw new BadRequestError(`next ${next} not after the last range's end ${end} at offset ${at}`);
    return { ranges, next };
  },
};

function readRanges(r: JuteReader): EntryRange[] {
  const at = r.offset;
  const count = readInt(r, 'count', 0);
  if (count > MAX_HELD_RANGES) throw new BadRequestError(`count ${count} out of range (at most ${MAX_HELD_RANGES}) at offset ${at}`);
  // Each range takes 16 bytes: a count the body cannot hold is refused before anything is allocated for it.
  if (count * 16 > r.remaining) throw new BadRequestError(`count ${count} needs ${count * 16} bytes, ${r.remaining} left at offset ${at}`);
  const ranges: EntryRange[] = [];
  let previous = -2;
  for (let i = 0; i < count; i++) {
    const where = r.offset;
    const first = readLong(r, 'first', 0);
    const last = readLong(r, 'last', 0);
    if (last < first || first <= previous + 1) throw new BadRequestError(`range [${first}, ${last}] out of order, empty or touching the previous one at offset ${where}`);
    ranges.push([first, last]);
    previous = last;
  }
  return ranges;
}

export const HeldEntries: Message<HeldEntriesRequest, HeldEntriesReply> = {
  kind: 10,
  name: 'HELD_ENTRIES',
  request: HeldEntriesRequestCodec,
  reply: HeldEntriesReplyCodec,
  streamed: false,
};
