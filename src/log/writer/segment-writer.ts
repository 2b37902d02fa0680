/**
 * The writer of one OPEN segment: entries in, acknowledgements out, in
 * entry order (BookKeeper's LedgerHandle + PendingAddOp, without the
 * reads). See ./log.ts for the whole protocol; this file is its add path
 * and its ensemble changes.
 *
 * - Each entry gets the next entry id, a timestamp no earlier than the
 *   previous one, and the last-add-confirmed at that moment (piggybacked,
 *   so readers and recovery learn what was acknowledged); it is sent to its
 *   write set (records.ts: writeSetOf) and acknowledged once A nodes of the
 *   write set as stored in the metadata confirmed it, and only after every
 *   entry before it was.
 * - Entries go out at the end of the tick they were added in: each node
 *   gets the consecutive entries it should store as one ADD_ENTRIES request
 *   (so one appendBatch costs each node one frame, one reply and usually
 *   one group commit), cut at 1 MiB (./request-runs.ts); a lone entry goes
 *   as ADD_ENTRY.
 * - A node that fails (connection lost, timeout, any refusal other than a
 *   fence) is replaced by a live node outside the ensemble: the new
 *   ensemble, starting at the first unacknowledged entry, is stored by
 *   compare-and-set first, and nothing is acknowledged while that change
 *   is not stored (BookKeeper #1591); then the unacknowledged entries are
 *   sent to the new nodes. Confirmations from a replaced node no longer
 *   count. With no live node to take its place, the change is retried;
 *   between tries nothing is being changed, so entries that A members of
 *   the stored ensemble confirmed are acknowledged (BookKeeper's delayed
 *   ensemble change): a 3/3/2 segment goes on with two nodes, and waits
 *   only when fewer than A are left. The repair restores W copies later.
 * - Explicit last-add-confirmed (BookKeeper's explicit LAC): nodes learn
 *   what is acknowledged from the next add. When the last-add-confirmed
 *   moves and no acknowledgement follows within `explicitConfirmDelay` ms
 *   (the writer went idle, or an appendBatch ended), it is sent as CONFIRM
 *   to every member of the current ensemble, so tailing readers' long polls
 *   wake for the newest entries. Only a hint: a node that misses it learns
 *   the same from the next add. The timer is cancelled when the writer
 *   closes (the closed record then says where the segment ends) or stops.
 * - A fence (SEGMENT_FENCED from a node, or the segment's record changed
 *   under us: a recovery has started) stops the writer at once: every
 *   unacknowledged entry rejects with WriterFencedError and nothing is
 *   acknowledged from then on.
 */
import { sleep } from '../../base/wait.js';
import { systemClock, type Clock } from '../../base/clock.js';
import { isTransientError } from '../../client/retry.js';
import { ClientClosedError, HerdError } from '../../errors.js';
import { NotEnoughNodesError, SegmentFencedError, WriterFencedError } from '../errors.js';
import { MetadataConflictError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { writeSetOf, type Ensemble, type SegmentMetadata, type Versioned } from '../metadata/records.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import { crc32c } from '../storage/crc32c.js';
import type { NodePool } from './node-pool.js';
import type { LogPosition } from './position.js';
import { pickNodes } from './quorum.js';
import { addRequests, sameAdds, type AddRequest } from './request-runs.js';

/** A segment's ensemble was changed because storage nodes failed. */
export interface EnsembleChange {
  readonly segmentId: number;
  /** The first entry written to the new ensemble. */
  readonly firstEntry: number;
  /** The instance ids replaced. */
  readonly replaced: readonly string[];
  /** The new ensemble. */
  readonly nodes: readonly string[];
}

/** What a SegmentWriter tells its Log. */
export interface SegmentWriterHooks {
  fenced(error: WriterFencedError): void;
  ensembleChanged(change: EnsembleChange): void;
}

/** An entry with the CRC32C of its data, computed once however many nodes it goes to. */
type SentEntry = LogEntry & { readonly crc32c: number };

interface PendingAdd {
  readonly entry: SentEntry;
  /** Nodes of its write set that confirmed it (W at most: an array costs less than a set per entry). */
  acked: string[];
  /** Nodes it was sent to (in flight or confirmed). */
  sent: string[];
  /** On the last entry of an {@link SegmentWriter.addBatch} only: acknowledgements are in entry order, so its acknowledgement is the batch's. */
  readonly batch: { readonly first: number; resolve(positions: LogPosition[]): void; reject(error: unknown): void } | undefined;
}

/**
 * Default of `explicitConfirmDelay`, in ms: long enough that a writer under
 * load (acknowledgements every few ms, each re-arming the timer) never sends
 * one, short enough that a tailing reader sees an idle writer's last entry
 * well within a human's notice; one small frame per node per idle period.
 */
export const DEFAULT_EXPLICIT_CONFIRM_DELAY = 20;

/** The positions of entries `first`..`last` of a segment. */
function positions(segmentId: number, first: number, last: number): LogPosition[] {
  const out = new Array<LogPosition>(last - first + 1);
  for (let e = first; e <= last; e++) out[e - first] = { segmentId, entryId: e };
  return out;
}

/** How long to wait before trying an ensemble change again when no node can take a failed one's place, in ms. */
const RETRY_DELAY = 250;

export class SegmentWriter {
  /** The highest entry id acknowledged (-1: none). */
  lastAddConfirmed = -1;
  /** Entries added and bytes of their data. */
  entries = 0;
  bytes = 0;
  /** Timestamps of the first and the latest entry; null while empty. */
  minTimestamp: number | null = null;
  lastTimestamp: number;
  readonly openedAt = systemClock.now();
  private pending: PendingAdd[] = [];
  private readonly failed = new Set<string>();
  /** A change of ensemble is being stored: nothing is sent or acknowledged meanwhile. */
  private changing = false;
  /** {@link changeEnsemble} is running (storing a change, or waiting for a node between tries). */
  private replacing = false;
  private closing = false;
  private failure: HerdError | undefined;
  private idle: (() => void)[] = [];
  /** Adds of this tick not yet sent. */
  private outbox: PendingAdd[] = [];
  /** The explicit-confirm timer, while armed. */
  private confirmTimer: unknown;
  /** Clock time of the latest acknowledgement. */
  private lastAckAt = 0;
  /** The highest last-add-confirmed the nodes were told (piggybacked on an add, or by CONFIRM). */
  private told = -1;

  constructor(
    readonly id: number,
    private meta: Versioned<SegmentMetadata>,
    private readonly store: LogMetadataStore,
    private readonly pool: NodePool,
    private readonly hooks: SegmentWriterHooks,
    /** No entry of this segment gets an earlier timestamp (the log's previous one). */
    timestampFloor: number,
    /** ms without an acknowledgement after which the last-add-confirmed is sent explicitly; 0 never sends it. */
    private readonly explicitConfirmDelay = DEFAULT_EXPLICIT_CONFIRM_DELAY,
  ) {
    this.lastTimestamp = timestampFloor;
  }

  /** The segment's record as last stored by this writer. */
  get metadata(): Versioned<SegmentMetadata> {
    return this.meta;
  }

  /** Why this writer stopped, if it did. */
  get error(): HerdError | undefined {
    return this.failure;
  }

  /**
   * Adds entries (each timestamp raised to the previous one's when
   * earlier); resolves with their positions once the last is acknowledged.
   * One promise per batch, not per entry: acknowledgements come in entry
   * order, so the last entry's is the batch's.
   */
  addBatch(items: readonly { data: Buffer; timestamp: number }[]): Promise<LogPosition[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<LogPosition[]>((resolve, reject) => {
      const first = this.entries;
      for (let i = 0; i < items.length; i++) {
        const { data, timestamp } = items[i]!;
        const ts = Math.max(timestamp, this.lastTimestamp);
        this.lastTimestamp = ts;
        this.minTimestamp ??= ts;
        const entry: SentEntry = { segmentId: this.id, entryId: this.entries++, timestamp: ts, lastAddConfirmed: this.lastAddConfirmed, data, crc32c: crc32c(data) };
        this.bytes += data.length;
        const add: PendingAdd = { entry, acked: [], sent: [], batch: i === items.length - 1 ? { first, resolve, reject } : undefined };
        this.pending.push(add);
        if (!this.changing) this.send(add);
      }
      this.told = Math.max(this.told, this.lastAddConfirmed);
    });
  }

  /**
   * Waits for every entry to be acknowledged (or rejected), then closes the
   * segment in the metadata at its last entry. Resolves false when the
   * writer was stopped (fenced: the segment is someone else's to close).
   */
  async close(): Promise<boolean> {
    this.closing = true;
    await this.settled();
    this.cancelConfirm();
    if (this.failure !== undefined) return false;
    const empty = this.lastAddConfirmed < 0;
    const closed: SegmentMetadata = {
      ...this.meta.value,
      state: 'CLOSED',
      lastEntry: this.lastAddConfirmed,
      minTimestamp: empty ? null : this.minTimestamp,
      maxTimestamp: empty ? null : this.lastTimestamp,
    };
    try {
      this.meta = await this.store.updateSegment(this.id, this.meta, closed);
    } catch (error) {
      if (!(error instanceof MetadataConflictError)) throw error;
      this.fence(`segment ${this.id} changed under its writer while closing: another writer is recovering it`, error);
      return false;
    }
    this.failure = new ClientClosedError(`segment ${this.id} is closed`);
    return true;
  }

  /** Stops the writer without closing the segment (the log is closing and cannot finish): unacknowledged entries reject with `error`. */
  abandon(error: HerdError): void {
    this.stop(error);
  }

  // ---- the add path --------------------------------------------------------------------

  /** Queues an add to go out with the others of this tick. */
  private send(add: PendingAdd): void {
    if (this.outbox.push(add) === 1) process.nextTick(() => this.flushOutbox());
  }

  /**
   * Sends the tick's adds: per node, runs of consecutive entries as one
   * request each, encoded once for every node that gets the same adds,
   * and written to each node's socket now (all of the write set's sockets
   * in this turn).
   */
  private flushOutbox(): void {
    const adds = this.outbox;
    this.outbox = [];
    // An ensemble change started since: it sends every pending entry when it is done.
    if (this.changing || this.failure !== undefined) return;
    const byNode = new Map<string, PendingAdd[]>();
    for (const add of adds) {
      for (const node of this.writeSet(add.entry.entryId)) {
        if (add.sent.includes(node) || this.failed.has(node)) continue;
        add.sent.push(node);
        let list = byNode.get(node);
        if (list === undefined) byNode.set(node, (list = []));
        list.push(add);
      }
    }
    let previous: { list: PendingAdd[]; requests: AddRequest<PendingAdd>[] } | undefined;
    for (const [node, list] of byNode) {
      const requests = previous !== undefined && sameAdds(previous.list, list) ? previous.requests : addRequests(this.id, list);
      previous = { list, requests };
      for (const request of requests) this.sendRequest(node, request);
    }
  }

  /**
   * The nodes entry `entryId` goes to. With E = W (3/3/2, 1/1/1) every
   * entry of the last ensemble goes to all of its nodes: that array serves
   * them all, where writeSetOf allocates one per entry.
   */
  private writeSet(entryId: number): readonly string[] {
    const { value } = this.meta;
    const last = value.ensembles[value.ensembles.length - 1]!;
    if (value.writeQuorum === value.ensembleSize && entryId >= last.firstEntry) return last.nodes;
    return writeSetOf(value, entryId);
  }

  /** Sends on the node's connection at once when it is up (no promise in the way), else once it is. */
  private sendRequest(node: string, request: AddRequest<PendingAdd>): void {
    const answered = (error?: HerdError): void => {
      if (error === undefined) this.confirmed(node, request.adds);
      // A refusal starts an ensemble change: never in the middle of the send loop (a dropped connection fails in it).
      else queueMicrotask(() => this.refused(node, error));
    };
    const c = this.pool.ready(node);
    if (c !== undefined) c.callEncoded(request.message, request.body, request.context, request.what, answered);
    else
      this.pool.get(node).then(
        (c) => c.callEncoded(request.message, request.body, request.context, request.what, answered),
        (error: unknown) => this.refused(node, error),
      );
  }

  private confirmed(node: string, run: readonly PendingAdd[]): void {
    if (this.failure !== undefined) return;
    for (const add of run) if (add.sent.includes(node) && !add.acked.includes(node)) add.acked.push(node); // not from a node replaced since
    this.acknowledge();
  }

  /** Acknowledges, in entry order, every entry at the head with A confirmations; never during an ensemble change. */
  private acknowledge(): void {
    if (this.changing || this.failure !== undefined) return;
    const before = this.lastAddConfirmed;
    while (this.pending.length > 0 && this.pending[0]!.acked.length >= this.meta.value.ackQuorum) {
      const add = this.pending.shift()!;
      this.lastAddConfirmed = add.entry.entryId;
      if (add.batch !== undefined) add.batch.resolve(positions(this.id, add.batch.first, add.entry.entryId));
    }
    if (this.lastAddConfirmed > before) this.armConfirm();
    if (this.pending.length === 0) for (const wake of this.idle.splice(0)) wake();
  }

  private refused(node: string, error: unknown): void {
    if (this.failure !== undefined) return;
    if (error instanceof SegmentFencedError) {
      this.fence(`segment ${this.id} was fenced on storage node ${node}: another writer is recovering it`, error);
      return;
    }
    if (this.failed.has(node) || !this.lastEnsemble().nodes.includes(node)) return; // already being replaced
    this.failed.add(node);
    this.pool.drop(node);
    // One loop at a time, even while it waits between tries: two would store changes from the same
    // version and the loser would take the conflict for another writer's recovery.
    if (!this.replacing) void this.changeEnsemble();
  }

  // ---- explicit last-add-confirmed ----------------------------------------------------

  /**
   * Notes an acknowledgement: the timer fires only after
   * `explicitConfirmDelay` ms without one. Armed once, not once per
   * acknowledgement: when it fires early (acknowledged since), it waits
   * the rest of the delay from the latest acknowledgement.
   */
  private armConfirm(): void {
    if (this.explicitConfirmDelay === 0 || this.closing) return;
    this.lastAckAt = this.clock.now();
    if (this.confirmTimer === undefined) this.startConfirmTimer(this.explicitConfirmDelay);
  }

  private startConfirmTimer(delay: number): void {
    this.confirmTimer = this.clock.setTimeout(() => {
      this.confirmTimer = undefined;
      const quiet = this.clock.now() - this.lastAckAt;
      if (quiet < this.explicitConfirmDelay) this.startConfirmTimer(this.explicitConfirmDelay - quiet);
      else this.sendConfirm();
    }, delay);
  }

  private cancelConfirm(): void {
    if (this.confirmTimer === undefined) return;
    this.clock.clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  /** Tells every current member the last-add-confirmed no add has carried yet. A failure is ignored: the next add carries it. */
  private sendConfirm(): void {
    const lac = this.lastAddConfirmed;
    if (this.failure !== undefined || this.closing || this.changing || lac <= this.told) return;
    this.told = lac;
    for (const node of this.lastEnsemble().nodes) {
      if (this.failed.has(node)) continue;
      this.pool.get(node).then(
        (c) => c.confirm(this.id, lac).catch(() => {}),
        () => {},
      );
    }
  }

  private get clock(): Clock {
    return this.store.client.clock;
  }

  // ---- ensemble changes ----------------------------------------------------------------

  private lastEnsemble(): Ensemble {
    return this.meta.value.ensembles[this.meta.value.ensembles.length - 1]!;
  }

  private async changeEnsemble(): Promise<void> {
    this.replacing = true;
    this.changing = true;
    try {
      for (;;) {
        const last = this.lastEnsemble();
        const bad = last.nodes.filter((n) => this.failed.has(n));
        if (bad.length === 0 || this.failure !== undefined) break;
        try {
          await this.replace(last, bad);
        } catch (error) {
          if (error instanceof MetadataConflictError) {
            this.fence(`segment ${this.id} changed under its writer: another writer is recovering it`, error);
            return;
          }
          if (!(error instanceof NotEnoughNodesError) && !isTransientError(error)) {
            this.stop(error instanceof HerdError ? error : new HerdError('WRITER_FAILED', String(error), { cause: error }));
            return;
          }
          if (this.closing) {
            this.stop(new ClientClosedError(`log closed while segment ${this.id} waited for a storage node to replace [${bad.join(', ')}]`, { cause: error }));
            return;
          }
          // No change is on its way while we wait for a node: entries that reached A members of the
          // stored ensemble are acknowledged meanwhile (BookKeeper's delayed ensemble change), so a
          // segment keeps going on the nodes left as long as they make the ack quorum.
          this.changing = false;
          this.acknowledge();
          await sleep(systemClock, RETRY_DELAY);
          this.changing = true;
        }
      }
    } finally {
      this.changing = false;
      this.replacing = false;
    }
    if (this.failure !== undefined) return;
    for (const add of this.pending) this.send(add);
    this.acknowledge();
    // A confirm skipped during the change is owed.
    if (this.lastAddConfirmed > this.told) this.armConfirm();
  }

  /** Stores an ensemble with `bad` replaced, from the first unacknowledged entry on; then forgets what replaced nodes confirmed. */
  private async replace(last: Ensemble, bad: readonly string[]): Promise<void> {
    const live = (await this.pool.liveNodes()).map((r) => r.instanceId);
    // A failed node that answers again (restarted with its data) may take its own place when no other node can.
    const outside = live.filter((n) => !last.nodes.includes(n) && !this.failed.has(n));
    const back = new Set<string>();
    if (outside.length < bad.length) {
      for (const n of bad) {
        if (outside.length + back.size >= bad.length) break;
        if (await this.pool.get(n).then(() => true, () => false)) back.add(n);
      }
    }
    const replacements = pickNodes(live, bad.length - back.size, new Set([...last.nodes, ...this.failed]), `segment ${this.id}: replacing [${bad.join(', ')}]`);
    const firstEntry = this.lastAddConfirmed + 1;
    const nodes = last.nodes.map((n) => (this.failed.has(n) && !back.has(n) ? replacements.shift()! : n));
    const kept = this.meta.value.ensembles.filter((e) => e.firstEntry < firstEntry);
    const next: SegmentMetadata = { ...this.meta.value, ensembles: [...kept, { firstEntry, nodes }] };
    this.meta = await this.store.updateSegment(this.id, this.meta, next);
    for (const n of back) this.failed.delete(n);
    for (const add of this.pending) {
      const writeSet = new Set(writeSetOf(this.meta.value, add.entry.entryId));
      add.sent = add.sent.filter((n) => writeSet.has(n) && !back.has(n));
      add.acked = add.acked.filter((n) => writeSet.has(n));
    }
    this.hooks.ensembleChanged({ segmentId: this.id, firstEntry, replaced: bad.filter((n) => !nodes.includes(n)), nodes });
  }

  // ---- stopping ------------------------------------------------------------------------

  private fence(message: string, cause: unknown): void {
    if (this.failure !== undefined) return;
    const error = new WriterFencedError(this.id, message, { cause });
    this.stop(error);
    this.hooks.fenced(error);
  }

  /** The one place unacknowledged entries fail. */
  private stop(error: HerdError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.cancelConfirm();
    const all = this.pending;
    this.pending = [];
    for (const add of all) add.batch?.reject(error);
    for (const wake of this.idle.splice(0)) wake();
  }

  private settled(): Promise<void> {
    if (this.pending.length === 0 || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
