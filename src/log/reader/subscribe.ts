/**
 * Tailing a log: `subscribeLog` (no writer needed) and `Log.subscribe`
 * (writer/log.ts) yield every entry from a starting point, in log order,
 * exactly once, then wait for new ones (BookKeeper's tailing reader).
 *
 * The subscriber keeps a cursor, the position of the next entry to
 * deliver, and loops:
 * 1. Set exists watches on the log's record and on the cursor's segment
 *    record, then read them (a change after the read fires the watch, so
 *    none is missed). The segment is the first of the log at or after the
 *    cursor's; one removed by retention is skipped.
 * 2. CLOSED: deliver the cursor..lastEntry, then move to the next segment.
 *    OPEN or IN_RECOVERY: deliver up to the last confirmed entry (the
 *    writer's own for `Log.subscribe` on its current segment, otherwise
 *    the highest last-add-confirmed the last ensemble's nodes hold), never
 *    further: an entry after it may be unacknowledged, and a recovery may
 *    drop it.
 * 3. Nothing new: wait for whichever comes first: a watch (a new segment,
 *    a state or ensemble change), a long poll on the last ensemble's nodes
 *    (WAIT_CONFIRMED: the node answers when its last-add-confirmed passes
 *    the cursor, the segment is fenced, or after `pollTimeout`), the
 *    writer's own acknowledgement, the signal, or the session's end.
 *
 * Across a writer change: the new writer sets the segment IN_RECOVERY and
 * fences its nodes (the long polls answer `fenced`; those nodes are not
 * polled again for that segment, the watch is waited for instead), then
 * closes it at the last entry that may have been acknowledged: the
 * subscriber delivers up to that lastEntry and moves on to the new
 * writer's segment. Every entry it delivered before was confirmed, and a
 * recovery keeps every confirmed entry, so there is no gap and no
 * duplicate.
 *
 * Limits: a node learns that an entry is confirmed from the next add, so
 * a writer-less subscriber sees an idle writer's last entry only when the
 * writer appends again or closes the segment (no explicit LAC message
 * yet). A long poll cannot be cancelled on the node: ending a subscription
 * closes its connections, and the node drops the poll at its timeout.
 */
import { checkClientTls, type LogTlsOptions } from '../node/tls.js';
import type { Client } from '../../client/index.js';
import { abortReason, throwIfAborted } from '../../base/wait.js';
import { BadArgumentsError } from '../../errors.js';
import { retryWhileConnected, Wakeup, waitForWake } from '../../recipes/internal/index.js';
import { NoSuchSegmentError } from '../metadata/errors.js';
import { checkLogName, logPath, segmentPath } from '../metadata/layout.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import type { SegmentMetadata } from '../metadata/records.js';
import { NodePool } from '../writer/node-pool.js';
import { isPosition, type LogPosition } from '../writer/position.js';
import { lastConfirmed, readSegment, type LogRecord, type ReadBound } from './read-log.js';
import { checkDuration } from './read-only.js';

/** Where a subscription starts: a position, a time (Date or epoch ms), `'start'` (the log's first entry) or `'end'` (the first entry after those confirmed when it starts). */
export type SubscribeFrom = ReadBound | 'start' | 'end';

/** Options of `Log.subscribe` and {@link subscribeLog}. */
export interface SubscribeOptions {
  /** The first entry to deliver (inclusive): a position, a time, `'start'` or `'end'`. Default `'end'`: only entries confirmed after the subscription starts. */
  readonly from?: SubscribeFrom;
  /** Ends the subscription: the iterator rejects with CancelledError (cause: the signal's reason; a HerdError reason is thrown as it is) and closes its node connections. */
  readonly signal?: AbortSignal;
  /** How long one long poll is held on a storage node before it is asked again, ms (the node caps it at 30000). Default 10000. */
  readonly pollTimeout?: number;
}

/** Options of {@link subscribeLog}: those of {@link SubscribeOptions}, and the node connections' timeouts. */
export interface SubscribeLogOptions extends SubscribeOptions {
  /** How long a storage node may take to answer a request (besides a long poll's own wait), ms. Default 10000. */
  readonly nodeTimeout?: number;
  /** How long connecting to a storage node may take, ms. Default 5000. */
  readonly connectTimeout?: number;
  /** Connect to the storage nodes over TLS, as openLog's `tls`. Default: plain TCP. */
  readonly tls?: LogTlsOptions;
}

/** What a writer tells its own subscriptions: its confirmed entry, and when it moves. */
export interface LocalConfirmed {
  /** The writer's last-add-confirmed for a segment it writes; undefined for any other. */
  confirmedOf(segmentId: number): number | undefined;
  /** Calls `listener` whenever it may have changed; returns how to stop. */
  onConfirmed(listener: () => void): () => void;
}

/** A resolved starting point. */
type Start = { readonly kind: 'start' | 'end' } | { readonly kind: 'position'; readonly position: LogPosition } | { readonly kind: 'time'; readonly time: number };

const DEFAULT_POLL_TIMEOUT = 10_000;
/** When every long poll failed (nodes down), how long before trying again, ms. */
const RETRY_DELAY = 500;

/**
 * Tails log `name`: yields every entry from `options.from` (default
 * `'end'`) in log order, exactly once, then waits for new ones, across
 * segment roll-overs and writer changes, until the signal aborts
 * (CancelledError) or the consumer stops (`break`, `return()`); either
 * way its node connections close. Reads only: nothing is written to the
 * metadata or the nodes. Throws BadArgumentsError for a bad name or
 * option; rejects during iteration with NoSuchLogError (no such log),
 * NotEnoughNodesError (no replica can serve an entry), and, as every wait
 * does, SessionExpiredError or ClientClosedError when the client's session
 * ends.
 */
export function subscribeLog(client: Client, name: string, options: SubscribeLogOptions = {}): AsyncIterableIterator<LogRecord> {
  checkLogName(name);
  const what = `subscribeLog ${name}`;
  const settings = checkSubscribeOptions(options, what);
  const pool = new NodePool(client, { timeout: checkDuration(options.nodeTimeout, 'nodeTimeout', 10_000, what), connectTimeout: checkDuration(options.connectTimeout, 'connectTimeout', 5_000, what), tls: checkClientTls(options.tls, what) });
  return tailWithPool(client, pool, name, settings);
}

/** Options of a subscription, checked. */
export interface SubscribeSettings {
  readonly start: Start;
  readonly signal: AbortSignal | undefined;
  readonly pollTimeout: number;
}

/** Checks {@link SubscribeOptions} before any I/O (BadArgumentsError). */
export function checkSubscribeOptions(options: SubscribeOptions, what: string): SubscribeSettings {
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new BadArgumentsError(`${what}: signal must be an AbortSignal`);
  return { start: resolveFrom(options.from, what), signal: options.signal, pollTimeout: Math.ceil(checkDuration(options.pollTimeout, 'pollTimeout', DEFAULT_POLL_TIMEOUT, what)) };
}

/** What a writer's own subscription gets from it (writer/log.ts). */
export interface WriterHooks {
  /** The writer's own confirmations. */
  readonly local?: LocalConfirmed | undefined;
  /** The writer's close: ends the subscription without an error. */
  readonly stop?: AbortSignal | undefined;
  /** Thrown by the first `next()` instead of subscribing (the writer is closed). */
  readonly refused?: Error | undefined;
  /** Called once the subscription has ended and closed `pool`. */
  readonly ended?: (() => void) | undefined;
}

/** The subscription's iterator, closing `pool` when it ends (see {@link WriterHooks} for a writer's own). */
export function tailWithPool(client: Client, pool: NodePool, name: string, settings: SubscribeSettings, writer: WriterHooks = {}): AsyncIterableIterator<LogRecord> {
  const { local, stop, refused, ended: onEnd } = writer;
  // An async generator queues return() behind a pending next(), which may wait for ever: return() stops the wait first.
  const ended = new AbortController();
  const generator = (async function* () {
    try {
      if (refused !== undefined) throw refused;
      yield* tail(client, new LogMetadataStore(client), pool, name, settings, local, stop === undefined ? ended.signal : AbortSignal.any([stop, ended.signal]));
    } finally {
      await pool.close();
      onEnd?.();
    }
  })();
  return {
    next: () => generator.next(),
    return: async (value?: unknown) => {
      ended.abort();
      await pool.close();
      return generator.return(value as undefined);
    },
    throw: (error?: unknown) => generator.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function resolveFrom(from: SubscribeFrom | undefined, what: string): Start {
  if (from === undefined || from === 'end') return { kind: 'end' };
  if (from === 'start') return { kind: 'start' };
  if (isPosition(from)) return { kind: 'position', position: { segmentId: from.segmentId, entryId: from.entryId } };
  const time = from instanceof Date ? from.getTime() : from;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new BadArgumentsError(`${what}: from must be a position, a Date, epoch ms, 'start' or 'end'`);
  return { kind: 'time', time };
}

async function* tail(client: Client, store: LogMetadataStore, pool: NodePool, name: string, settings: SubscribeSettings, local?: LocalConfirmed, stop?: AbortSignal): AsyncGenerator<LogRecord> {
  const { signal, pollTimeout } = settings;
  const what = `subscribe ${name}`;
  let wake = new Wakeup();
  // One listener for every watch and hint: the client keeps a set of listeners per path, so setting it again adds nothing.
  const changed = (): void => wake.fire();
  const unlisten = local?.onConfirmed(changed);
  stop?.addEventListener('abort', changed);
  let poll: { timer: unknown } | undefined;
  try {
    throwIfAborted(signal, what);
    if (stop?.aborted) return;
    let fromTime = settings.start.kind === 'time' ? settings.start.time : undefined;
    let cursor: LogPosition =
      settings.start.kind === 'position' ? settings.start.position : settings.start.kind === 'end' ? await endOf(store, pool, name, local) : { segmentId: 0, entryId: 0 };
    /**
     * Nodes that answered a long poll `fenced`, for segment `fencedOf` only: waiting on them would spin. Kept per
     * segment, not cleared on the cursor's moves: a recovery fences the old segment's nodes, and the new writer's
     * segment is often the next id on the same nodes, where a set carried over left no node to poll and the
     * subscriber waited for a metadata change that an open segment never makes (issue 14: a new primary stopped
     * applying its own log after a failover).
     */
    let fenced = new Set<string>();
    let fencedOf = -1;
    for (;;) {
      if (stop?.aborted) return;
      throwIfAborted(signal, what);
      wake = new Wakeup();
      await retryWhileConnected(client, () => client.exists(logPath(name), { watch: changed }));
      const log = await store.readLog(name);
      const id = log.value.segments.find((s) => s >= cursor.segmentId);
      if (id === undefined) {
        await waitForWake(client, wake, { signal, what });
        continue;
      }
      if (id !== cursor.segmentId) cursor = { segmentId: id, entryId: 0 };
      if (id !== fencedOf) {
        fenced = new Set();
        fencedOf = id;
      }
      await retryWhileConnected(client, () => client.exists(segmentPath(id), { watch: changed }));
      let segment: SegmentMetadata;
      try {
        segment = (await store.readSegment(id)).value;
      } catch (error) {
        if (!(error instanceof NoSuchSegmentError)) throw error;
        cursor = { segmentId: id + 1, entryId: 0 }; // removed by retention meanwhile
        continue;
      }
      const closed = segment.state === 'CLOSED';
      const last = closed ? segment.lastEntry : (local?.confirmedOf(id) ?? (await lastConfirmed(pool, id, segment)));
      const skip = closed && fromTime !== undefined && (segment.maxTimestamp ?? -Infinity) < fromTime;
      if (last >= cursor.entryId && !skip) {
        for await (const record of readSegment(pool, id, segment, cursor.entryId, last, fromTime)) {
          cursor = { segmentId: id, entryId: record.position.entryId + 1 };
          fromTime = undefined; // timestamps never decrease along a log: every later entry is in bounds
          yield record;
          if (stop?.aborted) return;
          throwIfAborted(signal, what);
        }
        cursor = { segmentId: id, entryId: Math.max(cursor.entryId, last + 1) };
      }
      if (closed) {
        cursor = { segmentId: id + 1, entryId: 0 };
        continue;
      }
      if (last >= cursor.entryId) continue;
      // Nothing confirmed past the cursor yet: wait for a change.
      if (local?.confirmedOf(id) === undefined) {
        poll = longPoll(client, pool, id, segment, cursor.entryId - 1, fenced, pollTimeout, wake);
      }
      try {
        await waitForWake(client, wake, { signal, what });
      } finally {
        if (poll?.timer !== undefined) client.clock.clearTimeout(poll.timer);
        poll = undefined;
      }
    }
  } catch (error) {
    if (stop?.aborted) return;
    if (signal?.aborted) throw abortReason(signal, what);
    throw error;
  } finally {
    unlisten?.();
    stop?.removeEventListener('abort', changed);
  }
}

/** Where `'end'` starts: after the last confirmed entry (of the last segment, or after it when it is closed). */
async function endOf(store: LogMetadataStore, pool: NodePool, name: string, local?: LocalConfirmed): Promise<LogPosition> {
  const log = await store.readLog(name);
  const id = log.value.segments[log.value.segments.length - 1];
  if (id === undefined) return { segmentId: 0, entryId: 0 };
  let segment: SegmentMetadata;
  try {
    segment = (await store.readSegment(id)).value;
  } catch (error) {
    if (error instanceof NoSuchSegmentError) return { segmentId: id + 1, entryId: 0 };
    throw error;
  }
  if (segment.state === 'CLOSED') return { segmentId: id + 1, entryId: 0 };
  return { segmentId: id, entryId: (local?.confirmedOf(id) ?? (await lastConfirmed(pool, id, segment))) + 1 };
}

/**
 * Long polls on the last ensemble's nodes (except those found fenced):
 * the first answer fires `wake` (the caller reads the state again). When
 * every poll fails, `wake` fires after {@link RETRY_DELAY} instead; returns
 * that timer. With every node fenced, only the metadata watch is left to
 * wait for: the recovery that fenced them closes the segment.
 */
function longPoll(client: Client, pool: NodePool, id: number, segment: SegmentMetadata, after: number, fenced: Set<string>, timeout: number, wake: Wakeup): { timer: unknown } {
  const handle: { timer: unknown } = { timer: undefined };
  const nodes = segment.ensembles[segment.ensembles.length - 1]!.nodes.filter((n) => !fenced.has(n));
  let failed = 0;
  for (const node of nodes) {
    pool
      .get(node)
      .then((c) => c.waitConfirmed(id, after, { timeout }))
      .then(
        (reply) => {
          if (reply.fenced) fenced.add(node);
          wake.fire();
        },
        () => {
          if (++failed === nodes.length && !wake.fired) handle.timer = client.clock.setTimeout(wake.fire, RETRY_DELAY);
        },
      );
  }
  return handle;
}
