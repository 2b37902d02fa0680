/**
 * The writer of one OPEN segment: entries in, acknowledgements out, in
 * entry order (BookKeeper's LedgerHandle + PendingAddOp, without the
 * reads). See ./log.ts for the whole protocol; this file is its add path,
 * ./ensemble-change.ts its ensemble changes.
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
 *   as ADD_ENTRY. A request is encoded once for all the nodes that get the
 *   same entries, and written to every node's socket in the same turn; a
 *   confirmation is counted in the turn its reply arrives, so the A-th
 *   acknowledges at once, and nothing waits for the other W - A.
 * - A node that fails (connection lost, timeout, any refusal other than a
 *   fence) is replaced (./ensemble-change.ts): nothing is acknowledged
 *   while the new ensemble is not stored (BookKeeper #1591), then the
 *   unacknowledged entries are sent to the new nodes. With no live node to
 *   take its place, entries that A members of the stored ensemble
 *   confirmed are acknowledged between tries (delayed ensemble change).
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
import { systemClock, type Clock } from '../../base/clock.js';
import { ClientClosedError, HerdError } from '../../errors.js';
import { SegmentFencedError, WriterFencedError } from '../errors.js';
import { MetadataConflictError } from '../metadata/errors.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import { writeSetOf, type SegmentMetadata, type Versioned } from '../metadata/records.js';
import { crc32c } from '../storage/crc32c.js';
import { EnsembleChanger, type EnsembleChange, type EnsembleHost } from './ensemble-change.js';
import type { NodePool } from './node-pool.js';
import { positions, type PendingAdd } from './pending-add.js';
import type { LogPosition } from './position.js';
import { addRequests, sameAdds, type AddRequest } from './request-runs.js';

export type { EnsembleChange } from './ensemble-change.js';

/** What a SegmentWriter tells its Log. */
export interface SegmentWriterHooks {
  fenced(error: WriterFencedError): void;
  ensembleChanged(change: EnsembleChange): void;
}

/**
 * Default of `explicitConfirmDelay`, in ms: long enough that a writer under
 * load (acknowledgements every few ms) never sends one, short enough that
 * a tailing reader sees an idle writer's last entry well within a human's
 * notice; one small frame per node per idle period.
 */
export const DEFAULT_EXPLICIT_CONFIRM_DELAY = 20;

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
  private readonly ensemble: EnsembleChanger;
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
    this.ensemble = new EnsembleChanger(this.ensembleHost(), store, pool);
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
      const lastAddConfirmed = this.lastAddConfirmed;
      const hold = this.ensemble.changing;
      const flushing = this.outbox.length > 0;
      for (let i = 0; i < items.length; i++) {
        const { data, timestamp } = items[i]!;
        const ts = Math.max(timestamp, this.lastTimestamp);
        this.lastTimestamp = ts;
        this.minTimestamp ??= ts;
        this.bytes += data.length;
        const batch = i === items.length - 1 ? { first, resolve, reject } : undefined;
        const add: PendingAdd = { segmentId: this.id, entryId: this.entries++, timestamp: ts, lastAddConfirmed, data, crc32c: crc32c(data), acked: [], sent: [], batch };
        this.pending.push(add);
        if (!hold) this.outbox.push(add);
      }
      if (!hold && !flushing) process.nextTick(() => this.flushOutbox());
      this.told = Math.max(this.told, lastAddConfirmed);
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
    if (this.ensemble.changing || this.failure !== undefined) return;
    const byNode = new Map<string, PendingAdd[]>();
    for (const add of adds) {
      for (const node of this.writeSet(add.entryId)) {
        if (add.sent.includes(node) || this.ensemble.failed.has(node)) continue;
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
    if (this.ensemble.changing || this.failure !== undefined) return;
    const before = this.lastAddConfirmed;
    while (this.pending.length > 0 && this.pending[0]!.acked.length >= this.meta.value.ackQuorum) {
      const add = this.pending.shift()!;
      this.lastAddConfirmed = add.entryId;
      if (add.batch !== undefined) add.batch.resolve(positions(this.id, add.batch.first, add.entryId));
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
    this.ensemble.nodeFailed(node);
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
    if (this.failure !== undefined || this.closing || this.ensemble.changing || lac <= this.told) return;
    this.told = lac;
    for (const node of this.ensemble.lastEnsemble().nodes) {
      if (this.ensemble.failed.has(node)) continue;
      this.pool.get(node).then(
        (c) => c.confirm(this.id, lac).catch(() => {}),
        () => {},
      );
    }
  }

  private get clock(): Clock {
    return this.store.client.clock;
  }

  // ---- ensemble changes (./ensemble-change.ts) ------------------------------------------

  private ensembleHost(): EnsembleHost {
    // Getters: the change reads the writer's state as it is when it runs, and stores the new record into it.
    const w = this;
    return {
      id: this.id,
      get meta() {
        return w.meta;
      },
      set meta(meta) {
        w.meta = meta;
      },
      get lastAddConfirmed() {
        return w.lastAddConfirmed;
      },
      get pending() {
        return w.pending;
      },
      get closing() {
        return w.closing;
      },
      get failure() {
        return w.failure;
      },
      acknowledge: () => this.acknowledge(),
      resume: () => {
        for (const add of this.pending) this.send(add);
        this.acknowledge();
        // A confirm skipped during the change is owed.
        if (this.lastAddConfirmed > this.told) this.armConfirm();
      },
      fence: (message, cause) => this.fence(message, cause),
      stop: (error) => this.stop(error),
      ensembleChanged: (change) => this.hooks.ensembleChanged(change),
    };
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
