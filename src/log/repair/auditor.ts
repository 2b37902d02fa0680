/**
 * The auditor: finds segments whose copies are on storage nodes that are
 * gone and copies them back to W nodes (BookKeeper's Auditor and
 * ReplicationWorker in one), and applies the logs' retention policies
 * (../retention/retention.ts). One auditor acts at a time: every storage
 * node runs a candidate by default (`startLogNode`'s `auditor` option), and
 * any process can run one with {@link startAuditor}; Herd's Election recipe
 * picks the one that acts.
 *
 * ```ts
 * await using auditor = await startAuditor(client, { gracePeriod: 30_000 });
 * auditor.on('repaired', (r) => console.log(`segment ${r.segmentId}: ${r.replaced} -> ${r.by}`));
 * console.log(auditor.stats);   // { leader, underReplicatedSegments, entriesCopied, ... }
 * ```
 *
 * Node layout (src/log/metadata/layout.ts):
 * ```
 * /herd/log/auditor/<uuid>__lock__<seq>   EPHEMERAL_SEQUENTIAL, one per candidate, data: identifier;
 *                                         the lowest is the auditor (Election = Kazoo's Lock)
 * /herd/log/nodes/<instanceId>            read and watched: which nodes are live
 * /herd/log/cookies/<host>:<port>         read: which instances still own an address
 * /herd/log/logs/<name>, segments/<id>    read; a repair and retention change them by compare-and-set
 * ```
 *
 * What the leader does, in passes: at start, when a node registers or
 * disappears, when a segment or a log is created or deleted, when a
 * segment that is not CLOSED changes (a data watch on each such record, so
 * a segment turning CLOSED is audited at once), when a segment's writer
 * node goes, when a grace period runs out, and every `auditInterval` ms:
 * 1. A member of a CLOSED segment's ensemble that holds entries is *lost*
 *    when its instance is not live and either no address cookie names it
 *    any more (a wiped node came back at its address as a new instance:
 *    it can never return with the data, BookKeeper #4812) or it has not
 *    been live for `gracePeriod` ms (so a node restarting within seconds
 *    costs no copies). The clock of the grace starts when this leader
 *    first sees the node missing.
 * 2. Each lost member is repaired (./repair.ts): its entries are copied to
 *    a live node outside that ensemble, then the member is replaced in the
 *    record by compare-and-set. Data first, metadata second.
 * 3. The replicas check (./replicas-check.ts): each live member of a
 *    CLOSED segment, and of an OPEN one's closed fragments, is asked which
 *    entries it holds; what its write sets give it and it lacks (missed
 *    while it was away, or corrupt there) is copied onto it from another
 *    replica. No metadata changes. Asked once per segment state and node
 *    start, and all again with a CRC scrub every `scrubInterval`.
 * 4. Retention: each log with a policy loses its oldest CLOSED segments
 *    past it (metadata only; the nodes' garbage collectors delete the data).
 *
 * OPEN and IN_RECOVERY segments are left to their writer while it is live
 * (fencing them would stop it): the writer replaces a failed node of its
 * current ensemble itself, and its earlier ensembles lose their lost
 * members once the segment is CLOSED. A segment whose writer node has been
 * gone for `gracePeriod` ms is recovered here (./abandoned.ts) and is
 * CLOSED from then on.
 *
 * Failure handling:
 * - Leadership lost (session expired, client closed): the `lost` signal
 *   stops the pass between entries; a repair in progress writes no
 *   metadata. Another candidate is elected and starts over; compare-and-set
 *   makes a repair done twice impossible (./repair.ts).
 * - A pass that fails (a connection lost, a node failing mid-copy) is
 *   logged and counted; the next pass starts from the metadata again.
 * - The session ends while waiting to be elected: the candidate joins the
 *   election again once its client has a new session; a closed client ends
 *   the auditor.
 */
import { EventEmitter } from 'node:events';
import { sleep } from '../../base/wait.js';
import type { Client } from '../../client/index.js';
import { ClientClosedError } from '../../errors.js';
import { ensurePath } from '../../recipes/internal/index.js';
import { cookieOwners } from './cookies.js';
import { Election } from '../../recipes/election.js';
import { ChildrenWatch } from '../../recipes/watchers.js';
import { MetadataConflictError, NoSuchSegmentError } from '../metadata/errors.js';
import { AUDITOR_PATH, LOGS_PATH, NODES_PATH, SEGMENTS_PATH, segmentPath, WRITERS_PATH } from '../metadata/layout.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import type { SegmentMetadata, Versioned } from '../metadata/records.js';
import { applyRetention, type RetentionResult } from '../retention/retention.js';
import { NodePool } from '../writer/node-pool.js';
import { resolveAuditorOptions, type AuditorOptions, type ResolvedAuditorOptions } from './options.js';
import { repairMember, type RepairContext, type RepairResult } from './repair.js';
import { checkedMembers, refillMember, requiredEntries, type RefillResult } from './replicas-check.js';
import { AbandonedSegments, type RecoveredResult } from './abandoned.js';

import { segmentReplication } from './replication.js';

export type { AuditorOptions } from './options.js';
export type { Auditor, AuditorEvents, AuditorStats } from './auditor-api.js';
import type { Auditor, AuditorEvents, AuditorStats } from './auditor-api.js';

/**
 * Starts an auditor candidate on `client` (the caller's: the auditor never
 * closes it) and resolves once it has joined the election. Throws
 * BadArgumentsError for invalid options, and what joining throws.
 */
export async function startAuditor(client: Client, options: AuditorOptions = {}): Promise<Auditor> {
  const auditor = new AuditorImpl(client, resolveAuditorOptions(options));
  await auditor.start();
  return auditor;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class AuditorImpl extends EventEmitter<AuditorEvents> implements Auditor {
  readonly identifier: string;
  private readonly counters: Mutable<AuditorStats> = {
    leader: false,
    underReplicatedSegments: 0,
    entriesCopied: 0,
    bytesCopied: 0,
    membersReplaced: 0,
    membersRefilled: 0,
    segmentsRecovered: 0,
    repairsFailed: 0,
    segmentsDeleted: 0,
    passes: 0,
  };
  private readonly election: Election;
  private readonly closer = new AbortController();
  private running: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** When this leader first saw each missing instance, by its clock. */
  private readonly missingSince = new Map<string, number>();
  /** The replicas checks passed, `<segmentId>/<node>` -> what they saw (./replicas-check.ts): asked again when it changes. */
  private readonly checked = new Map<string, string>();
  /** Registration `startedAt` of each live node in this pass: a restarted node is checked again. */
  private stamps = new Map<string, number>();
  /** When the next scrubbing pass is due (the replicas check with verify), by the clock. */
  private nextScrubAt = Infinity;
  /** Segments left open by writers that are gone. */
  private readonly abandoned: AbandonedSegments;
  /** The earliest grace period end found in the current pass (a lost member, a gone writer). */
  private passDue = Infinity;
  /** Segments not CLOSED whose record this leader watches, to audit one at once when it turns CLOSED. */
  private readonly watchedSegments = new Set<number>();
  /** Sizes of CLOSED segments (they never change), for retention by size. */
  private readonly sizes = new Map<number, number>();
  private wake: (() => void) | undefined;
  private kicked = false;
  /** Callers of audit() waiting for the next pass to start and end. */
  private nextPassWaiters: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly options: ResolvedAuditorOptions,
  ) {
    super();
    this.identifier = options.identifier;
    this.abandoned = new AbandonedSegments(client.clock, options.gracePeriod);
    this.election = new Election(client, AUDITOR_PATH, { identifier: options.identifier });
  }

  get stats(): AuditorStats {
    return { ...this.counters };
  }

  async start(): Promise<void> {
    await ensurePath(this.client, AUDITOR_PATH);
    this.running = this.campaign();
    // Joined once our contender node exists (or the campaign ended: its error is logged).
    let done = false;
    void this.running.finally(() => (done = true));
    while (!done && this.election.lock.nodeNameInPath === undefined) await sleep(this.client.clock, 5);
  }

  async audit(): Promise<void> {
    if (!this.counters.leader) return;
    // A pass that starts from now on: one already running may have read the state before the call.
    const done = new Promise<void>((resolve) => this.nextPassWaiters.push(resolve));
    this.kick();
    await done;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closer.abort(new ClientClosedError('auditor closed'));
      this.election.cancel();
      this.wake?.();
      await this.running;
    })();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Contends until closed: leads while elected, contends again after losing. */
  private async campaign(): Promise<void> {
    while (!this.closer.signal.aborted) {
      try {
        await this.election.run((lost) => this.lead(AbortSignal.any([lost, this.closer.signal])), { signal: this.closer.signal });
      } catch (error) {
        if (this.closer.signal.aborted) return;
        if (error instanceof ClientClosedError) {
          this.options.logger(`auditor ${this.identifier}: the client is closed; stopping`);
          return;
        }
        this.options.logger(`auditor ${this.identifier}: election failed (${message(error)}); joining again`);
        await sleep(this.client.clock, 1000, this.closer.signal).catch(() => {});
      }
    }
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** The leader's loop: passes until `lost` aborts. */
  private async lead(lost: AbortSignal): Promise<void> {
    this.counters.leader = true;
    this.missingSince.clear();
    this.abandoned.clear();
    this.checked.clear();
    this.watchedSegments.clear();
    this.nextScrubAt = this.options.scrubInterval > 0 ? this.client.clock.now() + this.options.scrubInterval : Infinity;
    this.emit('elected');
    this.options.logger(`auditor ${this.identifier}: elected`);
    const store = new LogMetadataStore(this.client);
    const pool = new NodePool(this.client, { timeout: this.options.nodeTimeout, connectTimeout: this.options.connectTimeout, tls: this.options.tls });
    const watches: ChildrenWatch[] = [];
    const onLost = (): void => this.wake?.();
    lost.addEventListener('abort', onLost);
    try {
      for (const path of [NODES_PATH, SEGMENTS_PATH, LOGS_PATH, WRITERS_PATH]) {
        await ensurePath(this.client, path);
        const watch = new ChildrenWatch(this.client, path, () => this.kick(), { onError: (e) => this.options.logger(`auditor: watching ${path}: ${message(e)}`) });
        await watch.start();
        watches.push(watch);
      }
      while (!lost.aborted) {
        this.kicked = false;
        // A scrub interval shorter than the audit interval is kept: the scrub is due on time, not at the next pass.
        let nextDue = Math.min(this.client.clock.now() + this.options.auditInterval, this.nextScrubAt);
        const waiters = this.nextPassWaiters.splice(0);
        try {
          nextDue = Math.min(nextDue, await this.runPass(store, pool, lost));
        } catch (error) {
          if (!lost.aborted) this.options.logger(`auditor ${this.identifier}: pass failed (${message(error)}); trying again at the next one`);
        }
        for (const w of waiters) w();
        if (this.kicked || lost.aborted) continue;
        await new Promise<void>((resolve) => {
          const timer = this.client.clock.setTimeout(resolve, Math.max(0, nextDue - this.client.clock.now()));
          this.wake = () => {
            this.client.clock.clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      lost.removeEventListener('abort', onLost);
      this.counters.leader = false;
      for (const w of this.nextPassWaiters.splice(0)) w();
      await Promise.all(watches.map((w) => w.close().catch(() => {})));
      await pool.close();
    }
  }

  /** One pass over every log; resolves with when the next pass is due because a grace period ends (Infinity when none). */
  private async runPass(store: LogMetadataStore, pool: NodePool, lost: AbortSignal): Promise<number> {
    const records = await pool.liveNodes();
    // Read after the live list: a node's grace must not start before its absence was seen (a pass
    // that began just before the node went would otherwise date its absence back by the list's read).
    const now = this.client.clock.now();
    const liveNodes = new Set(records.map((n) => n.instanceId));
    this.stamps = new Map(records.map((n) => [n.instanceId, n.startedAt]));
    const scrub = now >= this.nextScrubAt;
    if (scrub) {
      // Every member is asked again, and reads what it must hold from disk first.
      this.checked.clear();
      this.nextScrubAt = now + this.options.scrubInterval;
    }
    const owners = await cookieOwners(this.client);
    this.passDue = Infinity;
    const isLost = (node: string): boolean => {
      if (liveNodes.has(node)) return false;
      if (owners !== undefined && !owners.has(node)) return true;
      const since = this.missingSince.get(node) ?? now;
      this.missingSince.set(node, since);
      if (now - since >= this.options.gracePeriod) return true;
      this.passDue = Math.min(this.passDue, since + this.options.gracePeriod);
      return false;
    };
    for (const node of this.missingSince.keys()) if (liveNodes.has(node)) this.missingSince.delete(node);
    let underReplicated = 0;
    for (const name of await store.listLogs()) {
      if (lost.aborted) break;
      const log = await store.readLog(name);
      for (const id of log.value.segments) {
        if (lost.aborted) break;
        const segment = await readIfExists(store, id);
        if (segment === undefined) continue;
        if (await this.check({ store, pool, live: liveNodes, signal: lost, copied: (bytes) => this.copied(bytes) }, id, segment, isLost, scrub)) underReplicated++;
      }
      if (this.options.retention && log.value.retention !== undefined && !lost.aborted) {
        const result = await applyRetention(store, pool, name, { sizes: this.sizes, now: Date.now() }).catch((error: unknown) => {
          this.options.logger(`auditor: log ${name}: retention failed (${message(error)}); trying again at the next pass`);
          return undefined;
        });
        if (result !== undefined) {
          this.counters.segmentsDeleted += result.segmentIds.length;
          this.options.logger(`auditor: log ${name}: retention deleted segments ${result.segmentIds.join(', ')}`);
          this.emit('deleted', result);
        }
      }
    }
    if (!lost.aborted) {
      this.counters.underReplicatedSegments = underReplicated;
      this.counters.passes++;
    }
    return Math.min(this.passDue, this.nextScrubAt);
  }

  /** Repairs what is lost in one segment, then refills its live members' gaps; true when it is still under-replicated after. */
  private async check(ctx: RepairContext, id: number, segment: Versioned<SegmentMetadata>, isLost: (node: string) => boolean, scrub: boolean): Promise<boolean> {
    const { store, live, signal: lost } = ctx;
    if (segment.value.state !== 'CLOSED') segment = (await this.recoverAbandoned(ctx, id, segment)) ?? segment;
    const s = segment.value;
    if (s.state !== 'CLOSED') {
      this.watchUntilClosed(id);
      // Left to the writer, but for the gaps in its closed fragments; counted when a node it already moved away from held entries.
      const gaps = s.state === 'OPEN' && (await this.refill(ctx, id, s, scrub));
      return gaps || s.ensembles.slice(0, -1).some((e) => e.nodes.some((n) => !live.has(n)));
    }
    const { missing } = segmentReplication(s, s.lastEntry, (n) => live.has(n));
    let remaining = missing.length;
    let current = segment;
    for (const member of missing) {
      if (lost.aborted || !isLost(member.node)) continue;
      try {
        const result = await repairMember(ctx, id, current, member);
        this.counters.membersReplaced++;
        remaining--;
        this.options.logger(`auditor: segment ${id} of log ${s.log}: copied ${result.entries} entries of ${result.replaced} to ${result.by}`);
        this.emit('repaired', result);
        const next = await readIfExists(store, id);
        if (next === undefined) return false;
        current = next;
      } catch (error) {
        if (lost.aborted) break;
        this.counters.repairsFailed++;
        this.options.logger(`auditor: segment ${id} of log ${s.log}: repairing ${member.node} failed (${message(error)})`);
        if (error instanceof MetadataConflictError || error instanceof NoSuchSegmentError) break; // read again at the next pass
      }
    }
    const gaps = !lost.aborted && (await this.refill(ctx, id, current.value, scrub));
    return remaining > 0 || gaps;
  }

  /** Recovers segment `id` (not CLOSED) if its writer is gone for good (./abandoned.ts): its CLOSED record then. */
  private async recoverAbandoned(ctx: RepairContext, id: number, segment: Versioned<SegmentMetadata>): Promise<Versioned<SegmentMetadata> | undefined> {
    const s = segment.value;
    try {
      const { closed, due } = await this.abandoned.check(ctx.store, ctx.pool, id, segment);
      if (due !== undefined) this.passDue = Math.min(this.passDue, due);
      if (closed === undefined) return undefined;
      this.counters.segmentsRecovered++;
      this.options.logger(`auditor: segment ${id} of log ${s.log}: its writer ${s.writer} is gone; recovered it, closed at entry ${closed.value.lastEntry}`);
      this.emit('recovered', { segmentId: id, log: s.log, writer: s.writer, lastEntry: closed.value.lastEntry });
      return closed;
    } catch (error) {
      if (ctx.signal.aborted) return undefined;
      this.counters.repairsFailed++;
      this.options.logger(`auditor: segment ${id} of log ${s.log}: recovering it after its writer ${s.writer} left failed (${message(error)})`);
      return undefined;
    }
  }

  /** The replicas check of a segment's live members (./replicas-check.ts); true when one still lacks entries or could not be checked. */
  private async refill(ctx: RepairContext, id: number, s: SegmentMetadata, scrub: boolean): Promise<boolean> {
    let incomplete = false;
    for (const node of checkedMembers(s)) {
      if (ctx.signal.aborted) break;
      if (!ctx.live.has(node)) continue;
      const key = `${id}/${node}`;
      const seen = `${this.stamps.get(node)}/${s.state}/${s.ensembles.length}`;
      if (this.checked.get(key) === seen) continue;
      // Listed only now, past the cache: a pass over segments already checked walks no entries.
      const required = requiredEntries(s, node);
      if (required.length === 0) continue;
      try {
        const result = await refillMember(ctx, id, s, node, required, scrub);
        this.checked.set(key, seen);
        if (result.entries === 0) continue;
        this.counters.membersRefilled++;
        this.options.logger(`auditor: segment ${id} of log ${s.log}: ${node} lacked ${result.entries} entries; copied them onto it`);
        this.emit('refilled', result);
      } catch (error) {
        if (ctx.signal.aborted) break;
        incomplete = true;
        this.counters.repairsFailed++;
        this.options.logger(`auditor: segment ${id} of log ${s.log}: the replicas check of ${node} failed (${message(error)})`);
      }
    }
    return incomplete;
  }

  /** Watches the record of a segment that is not CLOSED: its next change (turning CLOSED, an ensemble change) starts a pass at once. */
  private watchUntilClosed(id: number): void {
    if (this.watchedSegments.has(id)) return;
    this.watchedSegments.add(id);
    const fired = (): void => {
      this.watchedSegments.delete(id);
      this.kick();
    };
    this.client.exists(segmentPath(id), { watch: fired }).catch(() => this.watchedSegments.delete(id));
  }

  private copied(bytes: number): void {
    this.counters.entriesCopied++;
    this.counters.bytesCopied += bytes;
  }
}

async function readIfExists(store: LogMetadataStore, id: number): Promise<Versioned<SegmentMetadata> | undefined> {
  try {
    return await store.readSegment(id);
  } catch (error) {
    if (error instanceof NoSuchSegmentError) return undefined;
    throw error;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
