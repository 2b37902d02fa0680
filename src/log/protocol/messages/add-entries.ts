/**
 * ADD_ENTRIES (kind 8): store a run of consecutive entries of one segment,
 * answered once, after every one of them is fsynced (they reach the
 * storage layer in the same event-loop turn, so one journal group commit
 * normally carries them all). The writer sends the entries of one tick
 * (one appendBatch) to each node this way: one frame, one reply, where
 * ADD_ENTRY would cost a frame and a reply per entry.
 *
 * ```
 * request  bool recovery, long segmentId, long firstEntryId,
 *          long lastAddConfirmed, int count (1..MAX_BATCH_ENTRIES),
 *          then count times: long timestamp, buffer data, int crc32c(data)
 * reply    long segmentId, long firstEntryId, int count
 * ```
 * Entry i has id `firstEntryId + i`; all carry the same lastAddConfirmed
 * (what the writer knew when it sent the batch). The CRC32C of each
 * entry's data is checked when the request is decoded: an entry damaged
 * on its way is refused (BAD_REQUEST, naming the entry), never stored.
 * A batch is answered OK only when every entry is stored; otherwise with
 * the status of the failure (some entries may be stored: adding them again
 * with the same bytes succeeds, so the writer just resends). Decoded, each
 * entry's data is a view into the request frame.
 */
import { JuteDecodeError } from '../../../jute/decode-error.js';
import type { Codec } from '../../../jute/writer.js';
import { BadRequestError } from '../../errors.js';
import { crc32c } from '../../storage/crc32c.js';
import { readInt, readLong } from './fields.js';
import type { Message } from './message.js';

/** The most entries one ADD_ENTRIES request may carry. */
export const MAX_BATCH_ENTRIES = 65_536;

/** Bytes of one entry in an ADD_ENTRIES request besides its data: timestamp, data length, CRC. */
const ENTRY_OVERHEAD = 8 + 4 + 4;

/** One entry of a batch. */
export interface BatchEntry {
  /** Epoch ms. */
  readonly timestamp: number;
  readonly data: Buffer;
  /**
   * CRC32C of `data` when the sender has it already (a writer computes it
   * once per entry, not once per node it sends the entry to); computed
   * when the request is written otherwise. Never read from the wire.
   */
  readonly crc32c?: number;
}

export interface AddEntriesRequest {
  /** Adds from a recovery: accepted by a fenced segment. */
  readonly recovery: boolean;
  readonly segmentId: number;
  /** The id of the first entry; the others follow without gaps. */
  readonly firstEntryId: number;
  /** The highest entry id the writer knew to be acknowledged when it sent the batch; -1 for none. */
  readonly lastAddConfirmed: number;
  /** At least one, at most {@link MAX_BATCH_ENTRIES}. */
  readonly entries: readonly BatchEntry[];
}

export interface AddEntriesReply {
  readonly segmentId: number;
  readonly firstEntryId: number;
  readonly count: number;
}

export const AddEntriesRequestCodec: Codec<AddEntriesRequest> = {
  write(w, v) {
    w.bool(v.recovery).longNumber(v.segmentId).longNumber(v.firstEntryId).longNumber(v.lastAddConfirmed).int(v.entries.length);
    for (const e of v.entries) w.longNumber(e.timestamp).buffer(e.data).int((e.crc32c ?? crc32c(e.data)) | 0);
  },
  read(r) {
    const recovery = r.bool();
    const segmentId = readLong(r, 'segmentId', 0);
    const firstEntryId = readLong(r, 'firstEntryId', 0);
    const lastAddConfirmed = readLong(r, 'lastAddConfirmed', -1);
    const countAt = r.offset;
    const count = readInt(r, 'count', 1);
    if (count > MAX_BATCH_ENTRIES) throw new BadRequestError(`count ${count} is more than the ${MAX_BATCH_ENTRIES} entries a batch may carry, at offset ${countAt}`);
    // Checked before anything is allocated for the entries: a count the frame cannot hold is a lie.
    if (count * ENTRY_OVERHEAD > r.remaining) throw new JuteDecodeError(`${count} entries cannot fit in the ${r.remaining} bytes left`, countAt);
    if (!Number.isSafeInteger(firstEntryId + count - 1)) throw new BadRequestError(`firstEntryId ${firstEntryId} + count ${count} is past the largest safe integer`);
    const entries: BatchEntry[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const timestamp = readLong(r, 'timestamp', 0);
      const dataAt = r.offset;
      // A view into the frame, not a copy: the node's storage copies it into its record before it returns.
      const data = r.buffer();
      if (data === null) throw new BadRequestError(`data is null at offset ${dataAt}`);
      const at = r.offset;
      const crc = r.int() >>> 0;
      const actual = crc32c(data);
      if (crc !== actual) {
        throw new BadRequestError(`entry ${firstEntryId + i} (batch index ${i}): CRC32C ${hex(crc)} does not match its data's ${hex(actual)} at offset ${at}`);
      }
      entries[i] = { timestamp, data };
    }
    return { recovery, segmentId, firstEntryId, lastAddConfirmed, entries };
  },
};

export const AddEntriesReplyCodec: Codec<AddEntriesReply> = {
  write(w, v) {
    w.longNumber(v.segmentId).longNumber(v.firstEntryId).int(v.count);
  },
  read(r) {
    return { segmentId: readLong(r, 'segmentId', 0), firstEntryId: readLong(r, 'firstEntryId', 0), count: readInt(r, 'count', 1) };
  },
};

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export const AddEntries: Message<AddEntriesRequest, AddEntriesReply> = {
  kind: 8,
  name: 'ADD_ENTRIES',
  request: AddEntriesRequestCodec,
  reply: AddEntriesReplyCodec,
  streamed: false,
};
