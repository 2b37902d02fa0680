/**
 * The public types of NodeStorage (node-storage.ts): entries, options,
 * results and counters. Kept apart so the class's file holds its logic; no
 * import back from it, so no cycle.
 */
import type { Clock } from '../../base/clock.js';
import type { FlushTrigger } from './group-commit.js';

/** One entry of a segment, as stored on a node. */
export interface StoredEntry {
  /** The segment (a BookKeeper ledger): a non-negative safe integer. */
  segmentId: number;
  /** 0, 1, 2, ... within the segment. */
  entryId: number;
  /** Epoch ms chosen by the writer; never decreases with `entryId` within a segment. */
  timestamp: number;
  /** The writer's last add confirmed when it sent this entry (-1 when none), as BookKeeper piggybacks it. */
  lastAddConfirmed: number;
  /** The entry's bytes. A read may return a view sharing memory with other entries read at the same time. */
  data: Buffer;
}

/** Consecutive entries of one segment, as {@link NodeStorage.addEntries} takes them. */
export interface StoredBatch {
  /** The segment: a non-negative safe integer. */
  segmentId: number;
  /** The id of `entries[0]`; the others follow without gaps. */
  firstEntryId: number;
  /** The writer's last add confirmed when it sent the batch (-1 when none), carried by every entry. */
  lastAddConfirmed: number;
  /** Each entry's timestamp (epoch ms, never decreasing) and bytes. */
  entries: readonly { timestamp: number; data: Buffer }[];
}

/** How {@link NodeStorage.open} sets up a node's storage. */
export interface NodeStorageOptions {
  /** The node's data directory, created if missing. */
  dataDir: string;
  /** Time source of the group commit's delay. Default: the system clock. */
  clock?: Clock;
  /** Ms an add may wait for its group commit before the batch is written. Default 2. */
  maxBatchDelay?: number;
  /** A batch is written as soon as this many bytes wait. Default 512 KiB. */
  maxBatchBytes?: number;
  /** Largest entry data accepted, in bytes. Default 5 MiB; at most 64 MiB minus 33. */
  maxEntrySize?: number;
  /** A journal file past this many bytes is rolled over at a checkpoint. Default 64 MiB. */
  journalFileSize?: number;
  /**
   * Sync the journal before acknowledging, and segment files at
   * checkpoints. Default true. False loses acknowledged entries on a power
   * failure: only for tests, which should say why.
   */
  fsync?: boolean;
  /** Where recovery reports what it truncated or found corrupt. Default: `process.emitWarning`. */
  logger?: (message: string) => void;
}

/** Options of {@link NodeStorage.addEntry}. */
export interface AddEntryOptions {
  /** A recovery or repair add: accepted even when the segment is fenced. Default false. */
  recovery?: boolean;
}

/** Bounds of {@link NodeStorage.readRange}; all inclusive, all optional. */
export interface ReadRangeOptions {
  /** First entry id. Default 0. */
  fromEntry?: number;
  /** Last entry id. Default: the last one. */
  toEntry?: number;
  /** Earliest timestamp (epoch ms). Default: no bound. */
  fromTime?: number;
  /** Latest timestamp (epoch ms). Default: no bound. */
  toTime?: number;
  /** Most entries to return. Default: no limit. */
  limit?: number;
}

/** A segment's last stored entry, from {@link NodeStorage.lastEntry}. */
export interface LastEntry {
  /** The highest entry id stored. */
  entryId: number;
  /** The writer's last add confirmed, as stored with that entry. */
  lastAddConfirmed: number;
  /** That entry's timestamp, epoch ms. */
  timestamp: number;
}

/** What {@link NodeStorage.fence} found stored when the fence became durable; -1 when no entry. */
export interface FenceResult {
  /** The highest entry id stored when the fence became durable, or -1. */
  lastEntryId: number;
  /** The last add confirmed stored with that entry, or -1. */
  lastAddConfirmed: number;
}

/** Counters of {@link NodeStorage.stats}. */
export interface NodeStorageStats {
  /** Bytes in segment files. */
  bytesStored: number;
  /** Segments held (fenced ones without entries too). */
  segments: number;
  /** Journal fdatasyncs since open. */
  fsyncs: number;
  /** How long the last journal fdatasync took, in ms (0 before the first). */
  lastFsyncDuration: number;
  /** Group commits since open, by the trigger that cut them. */
  flushes: Record<FlushTrigger, number>;
}
