/**
 * What a user of a storage node connection sees: the {@link LogNodeClient}
 * interface, its options and its streamed read. The implementation is
 * ./node-client.ts; the split keeps the contract (what each call does and
 * throws) apart from the connection's mechanics.
 */
import type { Clock } from '../../base/clock.js';
import type { LogTlsOptions } from './tls.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { FenceReply } from '../protocol/messages/fence.js';
import type { InfoReply } from '../protocol/messages/info.js';
import type { EntryRange } from '../protocol/messages/held-entries.js';
import type { LastEntryReply } from '../protocol/messages/read-last-entry.js';
import type { EntryMaker, ReadRangeRequest } from '../protocol/messages/read-range.js';
import type { WaitConfirmedReply } from '../protocol/messages/wait-confirmed.js';

/** Options of {@link connectLogNode}. */
export interface LogNodeClientOptions {
  /** How long a request may wait for its reply, in ms; 0 waits for ever. Default 30000. */
  readonly timeout?: number;
  /** How long connecting (and the first INFO exchange) may take, in ms. Default 10000. */
  readonly connectTimeout?: number;
  /** The largest reply frame accepted, in bytes; a larger one is a protocol error. Default 16 MiB + 2 KiB. */
  readonly maxFrameSize?: number;
  /** The time source of the timeout sweep (tests). */
  readonly clock?: Clock;
  /** Connect over TLS (a node started with `tls`). Default: plain TCP. */
  readonly tls?: LogTlsOptions;
}

/** The bounds of {@link LogNodeClient.readRange}; each is optional and inclusive. */
export type ReadRangeBounds = Omit<ReadRangeRequest, 'segmentId'>;

/** A streamed READ_RANGE ({@link LogNodeClient.readRange}): its entries one by one, or by reply with `batches()`. */
export interface RangeRead extends AsyncIterableIterator<LogEntry> {
  /** The entries as the node's replies bring them, one non-empty array per reply. */
  batches(): AsyncIterableIterator<readonly LogEntry[]>;
  /**
   * The entries as the node's replies bring them, each built by `make`
   * from its fields straight out of the reply (no LogEntry in between);
   * `data` is a view into the reply, shared by the entries of one reply.
   */
  batchesOf<T>(make: EntryMaker<T>): AsyncIterableIterator<T[]>;
}

/** A connection to one storage node (see the file comment for its failure handling). */
export interface LogNodeClient extends AsyncDisposable {
  /** `host:port` of the node. */
  readonly address: string;
  /** The node's instance id, from its INFO reply when connecting. */
  readonly instanceId: string;
  /** False once the connection dropped or {@link close} was called. */
  readonly connected: boolean;
  /**
   * Stores an entry; resolves once the node has fsynced it (adding the same
   * entry again with the same bytes succeeds: a retry). Rejects with
   * SegmentFencedError when the segment is fenced (unless `recovery`),
   * EntryConflictError when the node has the entry with other bytes,
   * BadRequestError for an entry the node refuses (larger than its
   * maxEntrySize, a timestamp before the previous entry's), DiskFullError
   * or StorageFailedError when its storage failed.
   */
  addEntry(entry: LogEntry, options?: { recovery?: boolean }): Promise<void>;
  /**
   * Stores a run of consecutive entries of one segment in one request
   * (ADD_ENTRIES): `entries[i]` gets id `firstEntryId + i`, all carry
   * `lastAddConfirmed`, and each goes with the CRC32C of its data, which the
   * node checks. Resolves once the node has fsynced every one (usually in
   * one group commit). Rejects as {@link addEntry} does, with the failure of
   * the first entry that failed (the others may be stored: sending the same
   * batch again is a retry); BadArgumentsError for an empty batch or one of
   * more than 65536 entries, or an invalid field.
   */
  addEntries(
    batch: { segmentId: number; firstEntryId: number; lastAddConfirmed: number; entries: readonly { timestamp: number; data: Buffer }[] },
    options?: { recovery?: boolean },
  ): Promise<void>;
  /**
   * Reads one entry. `fence` makes it a recovery read: the node fences the
   * segment first. Rejects with NoEntryError when the node does not have
   * it, CorruptEntryError when its copy fails the CRC check.
   */
  readEntry(segmentId: number, entryId: number, options?: { fence?: boolean }): Promise<LogEntry>;
  /**
   * The entries of a segment within the bounds, in entry order, streamed
   * from the node: iterate the result for one entry at a time, or its
   * `batches()` for the entries of each reply as an array (fewer async
   * steps; use one or the other). Each entry's `data` is a view into the
   * reply it came in, shared with the other entries of that reply.
   */
  readRange(segmentId: number, bounds?: ReadRangeBounds): RangeRead;
  /** Fences the segment on the node; resolves with the last entry id and last-add-confirmed it stores (-1 when none). */
  fence(segmentId: number): Promise<FenceReply>;
  /** The last entry the node stores for the segment; rejects with NoEntryError when it stores none. */
  readLastEntry(segmentId: number): Promise<LastEntryReply>;
  /**
   * A long poll (BookKeeper's readLacLongPoll): resolves once the node's
   * last-add-confirmed for the segment is greater than `afterEntry` (-1:
   * any), the segment is fenced there, or `options.timeout` ms (default
   * 10000; the node holds a request at most 30000 ms) have passed,
   * whichever is first, with where the node is then. The reply is not a
   * promise that anything changed: compare `lastAddConfirmed` with
   * `afterEntry`. The request's own deadline is that timeout plus the
   * client's `timeout`.
   */
  waitConfirmed(segmentId: number, afterEntry: number, options?: { timeout?: number }): Promise<WaitConfirmedReply>;
  /**
   * The writer's explicit last-add-confirmed for a segment (CONFIRM, kind
   * 9): a hint that wakes the node's long polls when no add will carry it.
   * Rejects with BadArgumentsError for an invalid id.
   */
  confirm(segmentId: number, lastAddConfirmed: number): Promise<void>;
  /**
   * Which entries of a segment in [fromEntry, toEntry] (default: all) the
   * node holds a good copy of (HELD_ENTRIES), as ascending inclusive
   * `[first, last]` ranges; a node holding none of them resolves with `[]`.
   * With `verify`, the node reads every entry of the range and checks its
   * CRC32C first (a scrub: slow, reads the whole range from disk): a copy
   * that fails counts as missing. Asks again while the node's reply is cut
   * short. Rejects with BadArgumentsError for invalid ids or bounds.
   */
  heldEntries(segmentId: number, options?: { fromEntry?: number; toEntry?: number; verify?: boolean }): Promise<EntryRange[]>;
  /** The node's identity and figures; also a ping. */
  info(): Promise<InfoReply>;
  /** Closes the connection; pending requests reject with ClientClosedError. Idempotent. */
  close(): Promise<void>;
}
