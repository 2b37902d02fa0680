/**
 * The storage stage. It consumes typed requests from the decode stage
 * (./decode.ts), carries each out on the node's storage, and passes the
 * outcome to the reply stage (its {@link Exchange}). One table maps each
 * message kind to its handler. A handler that throws is answered with the
 * status named after its error's code (SegmentFencedError ->
 * SEGMENT_FENCED, CorruptEntryError -> CORRUPT_ENTRY, DiskFullError ->
 * DISK_FULL, ...; anything unexpected NODE_ERROR, and logged;
 * src/log/protocol/status.ts).
 *
 * Requests of one connection run concurrently: an add waits for its fsync
 * (the storage layer's group commit) while later requests proceed, and
 * replies go out as they finish, each with its request id. Adds to one
 * segment reach the storage layer in arrival order.
 */
import { Messages } from '../protocol/kinds.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { Message } from '../protocol/messages/message.js';
import type { ReadRangeRequest } from '../protocol/messages/read-range.js';
import { MAX_HELD_RANGES } from '../protocol/messages/held-entries.js';
import { Status, statusOfError } from '../protocol/status.js';
import type { InfoReply } from '../protocol/messages/info.js';
import type { DecodedRequest } from './decode.js';
import type { Exchange } from './reply.js';
import type { ConfirmHints } from './confirm-hints.js';
import { RECORD_HEADER } from '../storage/record.js';

/** What the handlers use of the node's storage (NodeStorage, src/log/storage). */
export interface NodeStore {
  addEntry(entry: LogEntry, options?: { recovery?: boolean }): Promise<void>;
  /** Consecutive entries of a segment as one add (one promise and one record buffer for the batch). */
  addEntries(batch: { segmentId: number; firstEntryId: number; lastAddConfirmed: number; entries: readonly { timestamp: number; data: Buffer }[] }, options?: { recovery?: boolean }): Promise<void>;
  fence(segmentId: number): Promise<{ lastEntryId: number; lastAddConfirmed: number }>;
  readEntry(segmentId: number, entryId: number): Promise<LogEntry | undefined>;
  /** The entries of a range as runs of checked storage records in entry order (one async step per run, not per entry). */
  readRangeRuns(segmentId: number, range: { fromEntry?: number; toEntry?: number; fromTime?: number; toTime?: number; limit?: number }): AsyncIterable<{ readonly bytes: Buffer; readonly count: number }>;
  lastEntry(segmentId: number): { entryId: number; lastAddConfirmed: number; timestamp: number } | undefined;
  isFenced(segmentId: number): boolean;
  heldEntries(segmentId: number, range: { fromEntry: number; toEntry: number; verify?: boolean }, max: number): Promise<{ ranges: [number, number][]; next: number }>;
  /** Calls `listener` after each change to the segment (with `closing` when the storage closes) until the returned function is called. */
  watchSegment(segmentId: number, listener: (closing: boolean) => void): () => void;
}

/** What every handler may use. */
export interface HandlerContext {
  readonly storage: NodeStore;
  info(): InfoReply;
  /** A failure no status explains to the client in full (an I/O error): for the operator. */
  log(message: string): void;
  /**
   * Aborted when the node starts closing: a long poll answers at once with
   * where the node is, rather than hold the close's drain (its next request
   * gets NODE_CLOSING and the reader turns to another replica).
   */
  readonly closing: AbortSignal;
  /** The writers' explicit last-add-confirmed (CONFIRM): the last-add-confirmed a reader is told comes from here. */
  readonly confirmed: ConfirmHints;
}

/**
 * Record bytes per READ_RANGE reply: a batch closes before it would pass
 * this (an entry larger than it goes alone), so a reply stays within the
 * frame size a request may have.
 */
export const RANGE_REPLY_BYTES = 256 * 1024;

/**
 * The longest a WAIT_CONFIRMED request is held, in ms, whatever it asks:
 * a waiting request counts against the connection's in-flight requests
 * (a closing node answers it at once).
 */
export const MAX_WAIT_CONFIRMED = 30_000;

interface Route {
  run(body: unknown, exchange: Exchange, ctx: HandlerContext): Promise<void>;
  where(body: unknown): string;
}

function route<Req, Rep>(
  message: Message<Req, Rep>,
  where: (req: Req) => string,
  run: (req: Req, exchange: Exchange, ctx: HandlerContext) => Promise<void>,
): [number, Route] {
  return [message.kind, { run: run as Route['run'], where: where as Route['where'] }];
}

const inSegment = (req: { segmentId: number }): string => `segment ${req.segmentId}`;
const atEntry = (req: { segmentId: number; entryId: number }): string => `segment ${req.segmentId} entry ${req.entryId}`;
const atEntries = (req: { segmentId: number; firstEntryId: number; entries: readonly unknown[] }): string =>
  `segment ${req.segmentId} entries ${req.firstEntryId}..${req.firstEntryId + req.entries.length - 1}`;

const ROUTES: ReadonlyMap<number, Route> = new Map([
  route(Messages.AddEntry, atEntry, async (req, ex, { storage }) => {
    const { recovery, ...entry } = req;
    await storage.addEntry(entry, { recovery });
    ex.entries = 1;
    ex.ok(Messages.AddEntry.reply, { segmentId: req.segmentId, entryId: req.entryId });
  }),
  route(Messages.AddEntries, atEntries, async (req, ex, { storage }) => {
    const { recovery, ...batch } = req;
    await storage.addEntries(batch, { recovery });
    ex.entries = req.entries.length;
    ex.ok(Messages.AddEntries.reply, { segmentId: req.segmentId, firstEntryId: req.firstEntryId, count: req.entries.length });
  }),
  route(Messages.ReadEntry, atEntry, async (req, ex, { storage }) => {
    if (req.fence) await storage.fence(req.segmentId);
    const entry = await storage.readEntry(req.segmentId, req.entryId);
    if (entry === undefined) ex.fail(Status.NO_ENTRY, `segment ${req.segmentId} entry ${req.entryId} is not on this node`);
    else ex.ok(Messages.ReadEntry.reply, entry);
  }),
  route(Messages.ReadRange, inSegment, readRange),
  route(Messages.Fence, inSegment, async (req, ex, { storage }) => {
    ex.ok(Messages.Fence.reply, await storage.fence(req.segmentId));
  }),
  route(Messages.ReadLastEntry, inSegment, async (req, ex, { storage, confirmed }) => {
    const last = storage.lastEntry(req.segmentId);
    if (last === undefined) ex.fail(Status.NO_ENTRY, `segment ${req.segmentId} has no entries on this node`);
    else ex.ok(Messages.ReadLastEntry.reply, { ...last, lastAddConfirmed: confirmed.lastAddConfirmed(req.segmentId) });
  }),
  route(Messages.WaitConfirmed, inSegment, waitConfirmed),
  route(Messages.Confirm, inSegment, async (req, ex, { confirmed }) => {
    confirmed.record(req.segmentId, req.lastAddConfirmed);
    ex.ok(Messages.Confirm.reply, {});
  }),
  route(Messages.HeldEntries, inSegment, async ({ segmentId, ...range }, ex, { storage }) => {
    ex.ok(Messages.HeldEntries.reply, await storage.heldEntries(segmentId, range, MAX_HELD_RANGES));
  }),
  route(Messages.Info, () => 'node', async (_req, ex, ctx) => {
    ex.ok(Messages.Info.reply, ctx.info());
  }),
]);

/**
 * The long poll: answers once the segment's last-add-confirmed here (from
 * its stored entries or the writer's CONFIRM) passes `afterEntry`, it is fenced, the node starts closing, or the (capped)
 * timeout passes; ends unanswered when its connection closes. The storage's change hook wakes it, so it answers within
 * the batch that stored the entry, never by polling.
 */
async function waitConfirmed(req: { segmentId: number; afterEntry: number; timeout: number }, ex: Exchange, { storage, closing, confirmed }: HandlerContext): Promise<void> {
  const { segmentId, afterEntry } = req;
  const reply = (): void => {
    const last = storage.lastEntry(segmentId);
    ex.ok(Messages.WaitConfirmed.reply, { lastEntryId: last?.entryId ?? -1, lastAddConfirmed: confirmed.lastAddConfirmed(segmentId), fenced: storage.isFenced(segmentId) });
  };
  const ready = (): boolean => storage.isFenced(segmentId) || confirmed.lastAddConfirmed(segmentId) > afterEntry;
  if (ready() || req.timeout === 0 || closing.aborted) return reply();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      unwatch();
      unhint();
      unclose();
      ungone();
      resolve();
    };
    const unwatch = storage.watchSegment(segmentId, (storageClosing) => {
      if (storageClosing || ready()) done();
    });
    const unhint = confirmed.watch(segmentId, () => {
      if (ready()) done();
    });
    const unclose = onAbort(closing, done);
    // The client went away (a restarting process): its poll ends now, not at its timeout, and takes its listeners with it.
    const ungone = ex.onClosed(done);
    const timer = setTimeout(done, Math.min(req.timeout, MAX_WAIT_CONFIRMED));
  });
  reply();
}

/** The callbacks waiting on each shared signal; the signal itself has one listener, however many waits there are. */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts, until the returned function
 * is called. Every long poll of a node waits on the node's one `closing`
 * signal: a listener each would pass the signal's limit of 10 and make
 * Node print MaxListenersExceededWarning (a leak warning for what is not a
 * leak), so the signal gets a single listener that calls them all.
 */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(callback);
    return () => {};
  }
  let waiters = abortWaiters.get(signal);
  if (waiters === undefined) {
    const set = new Set<() => void>();
    waiters = set;
    abortWaiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        abortWaiters.delete(signal);
        for (const w of [...set]) w();
        set.clear();
      },
      { once: true },
    );
  }
  // A wrapper per call, so the same callback registered twice is removed once per registration.
  const entry = (): void => callback();
  waiters.add(entry);
  return () => {
    waiters.delete(entry);
  };
}

/**
 * Streams the range in replies of at most {@link RANGE_REPLY_BYTES} of
 * records, the records' bytes as storage read and checked them (no entry
 * decoded or encoded here), waiting for the socket between storage reads.
 */
async function readRange(req: ReadRangeRequest, ex: Exchange, { storage }: HandlerContext): Promise<void> {
  const { segmentId, ...bounds } = req;
  const range = Object.fromEntries(Object.entries(bounds).filter(([, v]) => v !== undefined));
  // The reply being filled: pieces of runs, `count` records, `bytes` in the pieces.
  let pieces: Buffer[] = [];
  let count = 0;
  let bytes = 0;
  try {
    for await (const run of storage.readRangeRuns(segmentId, range)) {
      // [from, at) of this run is in the reply but not yet among its pieces.
      let from = 0;
      let at = 0;
      for (let i = 0; i < run.count; i++) {
        const length = RECORD_HEADER + run.bytes.readUInt32BE(at);
        if (count > 0 && bytes + (at - from) + length > RANGE_REPLY_BYTES) {
          if (at > from) pieces.push(run.bytes.subarray(from, at));
          ex.part(Messages.ReadRange.reply, { records: pieces, count, done: false });
          pieces = [];
          count = 0;
          bytes = 0;
          from = at;
        }
        at += length;
        count++;
      }
      if (at > from) {
        pieces.push(run.bytes.subarray(from, at));
        bytes += at - from;
      }
      // Between storage reads, not inside one's run: the run is in memory already, and waiting per reply inside
      // it would cost an async step per reply without bounding memory any better.
      await ex.writable();
      if (!ex.open) return;
    }
  } catch (error) {
    // The entries read before a failure (a corrupt copy) are good: they go out before the error reply ends the stream.
    if (count > 0) ex.part(Messages.ReadRange.reply, { records: pieces, count, done: false });
    throw error;
  }
  ex.ok(Messages.ReadRange.reply, { records: pieces, count, done: true });
}

/** The storage stage as the decode stage calls it. */
export function storageStage(ctx: HandlerContext): (request: DecodedRequest, exchange: Exchange) => void {
  return ({ message, body }, exchange) => {
    const handler = ROUTES.get(message.kind)!;
    handler.run(body, exchange, ctx).catch((error: unknown) => {
      const status = statusOfError(error);
      const text = error instanceof Error ? error.message : String(error);
      const what = `${message.name} ${handler.where(body)}: ${text}`;
      if (status === Status.NODE_ERROR || status === Status.STORAGE_FAILED || status === Status.DISK_FULL) ctx.log(`request failed: ${what}`);
      exchange.fail(status, what);
    });
  };
}
