/**
 * The public face of a log's writer: what {@link Log} offers, its events
 * and the options of an append. The implementation is ./log-writer.ts;
 * `openLog` (./log.ts) returns one.
 */
import type { EventEmitter } from 'node:events';
import type { SessionLostError } from '../../errors.js';
import type { WriterFencedError } from '../errors.js';
import type { LogRecord, ReadOptions } from '../reader/read-log.js';
import type { SubscribeOptions } from '../reader/subscribe.js';
import type { LogPosition } from './position.js';
import type { EnsembleChange } from './segment-writer.js';

/** Options of {@link Log.append}. */
export interface AppendOptions {
  /** The entry's time, epoch ms or a Date; raised to the previous entry's when earlier. Default now. */
  readonly timestamp?: number | Date;
}

/** One entry of {@link Log.appendBatch}: bytes, or bytes with a timestamp. */
export type AppendItem = Uint8Array | { readonly data: Uint8Array; readonly timestamp?: number | Date };

/** Events of a {@link Log}. */
export interface LogEvents {
  /** Another writer fenced this one: it has stopped (its appends reject with the error). */
  fenced: [WriterFencedError];
  /** Storage nodes of the current segment were replaced after failing. */
  ensembleChanged: [EnsembleChange];
  /** A segment was closed and the next one opened. */
  segmentRolled: [{ readonly closed: number; readonly opened: number }];
  /**
   * The coordination session was lost (expired, the client closed, or the
   * connection lost for longer than the session timeout): the writer has
   * stopped as a fenced one does (its appends reject with the error).
   */
  lost: [SessionLostError];
}

/** The writer of a log (and a reader of it); from {@link openLog}. */
export interface Log extends EventEmitter<LogEvents>, AsyncDisposable {
  /** The log's name. */
  readonly name: string;
  /** The id of the segment appends go to; undefined before the first one is opened or after a failure to open one. */
  readonly segmentId: number | undefined;
  /**
   * Appends an entry; resolves with its position once A storage nodes
   * stored it. Rejects with WriterFencedError once another writer took the
   * log over, NotEnoughNodesError when no segment can be opened,
   * BadArgumentsError for data that is not bytes or larger than
   * `maxEntrySize`, InvalidStateError after close.
   */
  append(data: Uint8Array, options?: AppendOptions): Promise<LogPosition>;
  /** Appends entries, contiguous in one segment; resolves with their positions, rejects as {@link append}. */
  appendBatch(items: readonly AppendItem[]): Promise<LogPosition[]>;
  /**
   * The log's entries within the bounds, in order, as an async iterator.
   * Reads the metadata when iteration starts; an open segment is read up to
   * its last acknowledged entry. Throws BadArgumentsError for a bound that
   * is neither a position, a Date nor epoch ms; rejects (during iteration)
   * with NotEnoughNodesError when no replica can serve an entry.
   */
  read(options?: ReadOptions): AsyncIterableIterator<LogRecord>;
  /**
   * Tails the log: yields every entry from `options.from` (a position, a
   * time, `'start'`, or by default `'end'`: entries confirmed from now
   * on) in log order, exactly once, then waits for new ones, across
   * segment roll-overs and writer changes (as `subscribeLog`, through its
   * own node connections; on this writer's segment it wakes on this
   * writer's acknowledgements). Ends when `options.signal` aborts
   * (CancelledError), when the consumer stops (`break`), or, returning,
   * when this Log closes. Throws BadArgumentsError for a bad option;
   * rejects during iteration as `subscribeLog` does, and with
   * InvalidStateError when the log is closed already.
   */
  subscribe(options?: SubscribeOptions): AsyncIterableIterator<LogRecord>;
  /** Waits for appends in flight, closes the current segment and the node connections. Idempotent. */
  close(): Promise<void>;
}
